"""The office's meetings: the meeting and its agenda, publishing the notice, the live count."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from access import accountant_required, get_hoa_or_404
from meetings import events, tasks
from meetings.access import get_meeting_or_404, get_question_or_404
from meetings.forms import (
    DECISION_LABELS, FORM_LABELS, KIND_LABELS, MAJORITY_LABELS, MeetingForm, QuestionForm,
)
from meetings.models import Meeting, Question
from meetings.register import has_votes, total_votes
from meetings.results import count_meeting
from models import db
from periods import today

bp = Blueprint("office_meetings", __name__, url_prefix="/office/<int:hoa_id>/meetings",
               template_folder="templates", cli_group=None)
PER_PAGE = 20
LABELS = dict(kinds=KIND_LABELS, forms=FORM_LABELS, majorities=MAJORITY_LABELS,
              decisions=DECISION_LABELS)


@bp.route("")
@accountant_required
def index(hoa_id):
    hoa = get_hoa_or_404(hoa_id)
    query = Meeting.select().where(Meeting.hoa == hoa).order_by(Meeting.starts_on.desc(),
                                                                 Meeting.id.desc())
    pages = max(1, -(-query.count() // PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    return render_template("meetings/office_index.html", hoa=hoa, page=page, pages=pages,
                           meetings=query.paginate(page, PER_PAGE), **LABELS)


@bp.route("/new", methods=["GET", "POST"], endpoint="new")
@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
@accountant_required
def edit(hoa_id, meeting_id=None):
    hoa = get_hoa_or_404(hoa_id)
    meeting = get_meeting_or_404(hoa, meeting_id) if meeting_id else Meeting(hoa=hoa)
    form = MeetingForm(obj=meeting)
    if form.validate_on_submit():
        if meeting.published and form.kind.data != meeting.kind:
            form.kind.errors.append(_("The kind of a meeting cannot change after its notice "
                                      "is published."))
        else:
            form.populate_obj(meeting)
            with db.atomic():
                meeting.save()
                if meeting.published:  # what owners were told changes: the log keeps it
                    events.record("meeting_changed", meeting, meeting_facts(meeting),
                                  accountant=current_user.id)
            flash(_("The meeting is saved."), "success")
            return redirect(url_for(".show", hoa_id=hoa.id, meeting_id=meeting.id))
    return render_template("meetings/office_edit.html", hoa=hoa, meeting=meeting, form=form), \
        400 if form.is_submitted() else 200


def meeting_facts(meeting):
    return (f"{meeting.starts_on:%d.%m.%Y}–{meeting.ends_on:%d.%m.%Y} {meeting.form} "
            f"online={'yes' if meeting.online_counts else 'no'}")


@bp.route("/<int:meeting_id>")
@accountant_required
def show(hoa_id, meeting_id):
    hoa = get_hoa_or_404(hoa_id)
    meeting = get_meeting_or_404(hoa, meeting_id)
    return render_template("meetings/office_show.html", hoa=hoa, meeting=meeting,
                           questions=list(meeting.ordered_questions()),
                           entries=meeting.entries.count(), total=total_votes(meeting),
                           materials=list(meeting.materials), recipients=len(
                               tasks.notice_recipients(meeting)),
                           ballots_by_worker=tasks.ballots_by_worker(meeting),
                           ballots_ready=tasks.ballots_ready(meeting),
                           days_left=(meeting.starts_on - today()).days, **LABELS)


@bp.route("/<int:meeting_id>/delete", methods=["POST"])
@accountant_required
def delete(hoa_id, meeting_id):
    hoa = get_hoa_or_404(hoa_id)
    meeting = get_meeting_or_404(hoa, meeting_id)
    if meeting.published:
        flash(_("A meeting whose notice is published cannot be deleted: the owners were told "
                "of it."), "danger")
        return redirect(url_for(".show", hoa_id=hoa.id, meeting_id=meeting.id))
    with db.atomic():
        meeting.delete_with_files()
    flash(_("The draft meeting is deleted."), "success")
    return redirect(url_for(".index", hoa_id=hoa.id))


@bp.route("/<int:meeting_id>/questions/new", methods=["GET", "POST"], endpoint="question_new")
@bp.route("/<int:meeting_id>/questions/<int:question_id>", methods=["GET", "POST"])
@accountant_required
def question(hoa_id, meeting_id, question_id=None):
    hoa = get_hoa_or_404(hoa_id)
    meeting = get_meeting_or_404(hoa, meeting_id)
    item = get_question_or_404(meeting, question_id) if question_id else Question(
        meeting=meeting, position=meeting.questions.count() + 1)
    form = QuestionForm(obj=item)
    if meeting.published:
        flash(_("The agenda cannot change after the notice is published: the owners were "
                "told these questions."), "warning")
        return redirect(url_for(".show", hoa_id=hoa.id, meeting_id=meeting.id))
    if form.validate_on_submit():
        form.populate_obj(item)
        item.save()
        flash(_("The question is saved."), "success")
        return redirect(url_for(".show", hoa_id=hoa.id, meeting_id=meeting.id))
    return render_template("meetings/office_question.html", hoa=hoa, meeting=meeting,
                           item=item, form=form), 400 if form.is_submitted() else 200


@bp.route("/<int:meeting_id>/questions/<int:question_id>/delete", methods=["POST"])
@accountant_required
def question_delete(hoa_id, meeting_id, question_id):
    hoa = get_hoa_or_404(hoa_id)
    meeting = get_meeting_or_404(hoa, meeting_id)
    item = get_question_or_404(meeting, question_id)
    if meeting.published:
        flash(_("The agenda cannot change after the notice is published: the owners were "
                "told these questions."), "warning")
    else:
        with db.atomic():
            item.delete_instance()
            for position, other in enumerate(meeting.ordered_questions(), start=1):
                other.position = position
                other.save(only=[Question.position])
        flash(_("The question is deleted."), "success")
    return redirect(url_for(".show", hoa_id=hoa.id, meeting_id=meeting.id))


@bp.route("/<int:meeting_id>/publish", methods=["POST"])
@accountant_required
def publish(hoa_id, meeting_id):
    hoa = get_hoa_or_404(hoa_id)
    meeting = get_meeting_or_404(hoa, meeting_id)
    problem = publish_problem(meeting)
    if problem:
        flash(problem, "danger")
        return redirect(url_for(".show", hoa_id=hoa.id, meeting_id=meeting.id))
    with db.atomic():  # a second click at the same moment finds the row taken
        published = (Meeting.update(notice_published_on=today())
                     .where(Meeting.id == meeting.id, Meeting.notice_published_on.is_null())
                     .execute())
        if published:
            events.record("meeting_published", meeting, meeting.title,
                          accountant=current_user.id)
    if not published:
        flash(_("The notice is already published."), "danger")
        return redirect(url_for(".show", hoa_id=hoa.id, meeting_id=meeting.id))
    meeting.notice_published_on = today()
    tasks.send_notice_letters(meeting.id)
    flash(_("The notice is published on the residents' home pages; the letters to registered "
            "owners are being sent."), "success")
    if meeting.notice_too_late():
        flash(too_late_message(meeting), "warning")
    return redirect(url_for(".show", hoa_id=hoa.id, meeting_id=meeting.id))


def publish_problem(meeting):
    if meeting.published:
        return _("The notice is already published.")
    if not meeting.questions.exists():
        return _("Add the agenda's questions before publishing the notice.")
    if not meeting.entries.exists():
        return _("Make the register of owners before publishing the notice.")
    if meeting.ends_on < today():
        return _("The voting period is over; change its days first.")
    return None


def too_late_message(meeting):
    return _("The notice is published %(days)s days before voting starts; art. 45 part 4 of "
             "the Housing Code asks for at least 10. Consider moving the voting period.",
             days=(meeting.starts_on - meeting.notice_published_on).days)


@bp.route("/<int:meeting_id>/count")
@accountant_required
def count(hoa_id, meeting_id):
    hoa = get_hoa_or_404(hoa_id)
    meeting = get_meeting_or_404(hoa, meeting_id)
    return render_template("meetings/office_count.html", hoa=hoa, meeting=meeting,
                           result=count_meeting(meeting), has_votes=has_votes(meeting),
                           **LABELS)


@bp.app_context_processor
def meeting_helpers():
    return {"meeting_too_late_message": too_late_message}

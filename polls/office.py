"""The office's polls: the HOA's list, creating and editing one before its first answer,
closing, deleting, the results with their chart and file."""
from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from access import accountant_required, client_ip, get_hoa_or_404, one_or_404
from database import db
from models import AuditEvent, now
from periods import today
from polls import events
from polls.forms import WEIGHTING_LABELS, PollForm
from polls.models import Poll, PollOption
from polls.results import BAR_WIDTH, count, results_csv

bp = Blueprint("office_polls", __name__, url_prefix="/office", template_folder="templates")

PER_PAGE = 20


def get_poll_or_404(hoa, poll_id):
    return one_or_404(Poll, Poll.id == poll_id, Poll.hoa == hoa)


@bp.context_processor
def poll_words():
    return {"weighting_labels": WEIGHTING_LABELS, "bar_width": BAR_WIDTH, "day": today()}


@bp.route("/<int:hoa_id>/polls")
@accountant_required
def index(hoa_id):
    hoa = get_hoa_or_404(hoa_id)
    total = Poll.select().where(Poll.hoa == hoa).count()
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    polls = Poll.with_answer_counts(hoa).paginate(page, PER_PAGE)
    return render_template("polls/office_list.html", hoa=hoa, polls=polls, page=page,
                           pages=pages, total=total, accounts=hoa.accounts.count())


@bp.route("/<int:hoa_id>/polls/new", methods=["GET", "POST"], endpoint="new")
@bp.route("/<int:hoa_id>/polls/<int:poll_id>/edit", methods=["GET", "POST"])
@accountant_required
def edit(hoa_id, poll_id=None):
    hoa = get_hoa_or_404(hoa_id)
    poll = get_poll_or_404(hoa, poll_id) if poll_id else Poll(hoa=hoa, opens_on=today())
    if poll_id and poll.has_answers():
        flash(_("The poll already has answers: it can no longer be changed."), "warning")
        return redirect(url_for("office_polls.poll", hoa_id=hoa.id, poll_id=poll.id))
    form = PollForm(data=None if request.method == "POST" else poll_data(poll))
    if not form.validate_on_submit():
        return render_template("polls/office_form.html", hoa=hoa, form=form, poll=poll), \
            400 if form.is_submitted() else 200
    with db.atomic():
        if poll_id and poll.has_answers():  # answered while the form was open
            flash(_("The poll already has answers: it can no longer be changed."), "warning")
            return redirect(url_for("office_polls.poll", hoa_id=hoa.id, poll_id=poll.id))
        form.fill(poll)
        if poll_id is None:
            poll.created_by = current_user.id
        poll.save()
        PollOption.delete().where(PollOption.poll == poll).execute()
        PollOption.insert_many([{"poll": poll.id, "position": i, "text": text}
                                for i, text in enumerate(form.option_texts(), 1)]).execute()
        events.record("poll_changed" if poll_id else "poll_created", poll,
                      accountant=current_user.id)
    flash(_("The poll is saved."), "success")
    return redirect(url_for("office_polls.poll", hoa_id=hoa.id, poll_id=poll.id))


def poll_data(poll):
    """The form's values of a poll; its options are rows of their own."""
    options = [option.text for option in poll.ordered_options()] if poll.id else []
    return {"question": poll.question, "weighting": poll.weighting, "opens_on": poll.opens_on,
            "closes_on": poll.closes_on, "results_while_open": poll.results_while_open,
            "options": options}


@bp.route("/<int:hoa_id>/polls/<int:poll_id>")
@accountant_required
def poll(hoa_id, poll_id):
    hoa = get_hoa_or_404(hoa_id)
    poll = get_poll_or_404(hoa, poll_id)
    return render_template("polls/office_poll.html", hoa=hoa, poll=poll, results=count(poll),
                           state=poll.state(today()))


@bp.route("/<int:hoa_id>/polls/<int:poll_id>/close", methods=["POST"])
@accountant_required
def close(hoa_id, poll_id):
    hoa = get_hoa_or_404(hoa_id)
    poll = get_poll_or_404(hoa, poll_id)
    if poll.state(today()) == "closed":
        flash(_("The poll is already closed."), "info")
    else:
        with db.atomic():
            poll.closed_at = now()
            poll.save(only=[Poll.closed_at])
            events.record("poll_closed", poll, accountant=current_user.id)
        flash(_("The poll is closed; residents now see its results."), "success")
    return redirect(url_for("office_polls.poll", hoa_id=hoa.id, poll_id=poll.id))


@bp.route("/<int:hoa_id>/polls/<int:poll_id>/delete", methods=["GET", "POST"])
@accountant_required
def delete(hoa_id, poll_id):
    """GET: what deleting would lose, with the button; POST: delete the poll and its answers."""
    hoa = get_hoa_or_404(hoa_id)
    poll = get_poll_or_404(hoa, poll_id)
    if request.method == "GET":
        return render_template("polls/office_delete.html", hoa=hoa, poll=poll,
                               answers=poll.answers.count())
    with db.atomic():
        events.record("poll_deleted", poll, accountant=current_user.id)
        poll.delete_instance(recursive=True)
    flash(_("The poll and its answers are deleted."), "success")
    return redirect(url_for("office_polls.index", hoa_id=hoa.id))


@bp.route("/<int:hoa_id>/polls/<int:poll_id>/results.csv")
@accountant_required
def export(hoa_id, poll_id):
    hoa = get_hoa_or_404(hoa_id)
    poll = get_poll_or_404(hoa, poll_id)
    name = f"poll-{poll.id}-results.csv"
    AuditEvent.record("readings_exported", client_ip(), hoa=hoa, accountant=current_user.id,
                      detail=name)
    return send_file(results_csv(count(poll)), as_attachment=True, download_name=name,
                     mimetype="text/csv")

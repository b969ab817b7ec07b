"""The resident's side of meetings: the notice, the materials, voting online during the
voting period (changeable until its end) and the printable personal ballot."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import forked
import storedfiles
from access import resident_required
from formats import format_day
from meetings import events
from meetings.access import (
    get_material_or_404, resident_entries, resident_entry_or_404, resident_meeting_or_404,
)
from meetings.export import download
from meetings.forms import DECISION_LABELS, FORM_LABELS, KIND_LABELS, MAJORITY_LABELS
from meetings.models import DECISIONS, Meeting, PaperBallot, Vote
from meetings.results import own_decisions
from models import db, now
from periods import today
from speedups import Prepared

bp = Blueprint("meetings", __name__, url_prefix="/cabinet/meetings",
               template_folder="templates")
LABELS = dict(kinds=KIND_LABELS, forms=FORM_LABELS, majorities=MAJORITY_LABELS,
              decisions=DECISION_LABELS)
PER_PAGE = 20


@bp.route("")
@resident_required
def index():
    query = (Meeting.select().where(Meeting.hoa == current_user.account.hoa_id,
                                    Meeting.notice_published_on.is_null(False))
             .order_by(Meeting.starts_on.desc(), Meeting.id.desc()))
    pages = max(1, -(-query.count() // PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    return render_template("meetings/index.html", meetings=query.paginate(page, PER_PAGE),
                           page=page, pages=pages, day=today(), **LABELS)


def refusal(meeting, entry):
    """Why this entry cannot vote online now, or None."""
    day = today()
    if not meeting.online_counts:
        return _("Votes given online do not count at this meeting: print your ballot, fill it "
                 "in and hand it to the board.")
    if day < meeting.starts_on:
        return _("Voting has not started yet: it runs from %(start)s to %(end)s.",
                 start=format_day(meeting.starts_on), end=format_day(meeting.ends_on))
    if day > meeting.ends_on:
        return _("Voting is over: it ended on %(end)s.",
                 end=format_day(meeting.ends_on))
    if meeting.kind == "members" and not entry.member:
        return _("This is a meeting of the HOA's members, and the register does not list %(owner)s "
                 "as a member.", owner=entry.owner)
    return None


@bp.route("/<int:meeting_id>")
@resident_required
def show(meeting_id):
    meeting = resident_meeting_or_404(meeting_id)
    entries = resident_entries(meeting)
    return render_template(
        "meetings/show.html", meeting=meeting, entries=entries,
        questions=list(meeting.ordered_questions()), materials=list(meeting.materials),
        own={e.id: own_decisions(e) for e in entries},
        refusals={e.id: refusal(meeting, e) for e in entries}, **LABELS)


@bp.route("/<int:meeting_id>/vote/<int:entry_id>", methods=["GET", "POST"])
@resident_required
def vote(meeting_id, entry_id):
    meeting = resident_meeting_or_404(meeting_id)
    entry = resident_entry_or_404(meeting, entry_id)
    refused = refusal(meeting, entry)
    if refused:
        flash(refused, "warning")
        return redirect(url_for(".show", meeting_id=meeting.id))
    questions = list(meeting.ordered_questions())
    given = own_decisions(entry)
    status = 200
    if request.method == "POST":
        answers = {q.id: request.form.get(f"q{q.id}", "") for q in questions}
        missing = [q.position for q in questions if answers[q.id] not in DECISIONS]
        if missing:
            flash(_("Choose «for», «against» or «abstain» on every question; no answer on: "
                    "%(numbers)s.", numbers=", ".join(map(str, missing))), "danger")
            given, status = {k: v for k, v in answers.items() if v in DECISIONS}, 400
        else:
            save_online(meeting, entry, answers, changed=bool(given))
            flash(_("Your vote is saved. You can change it until %(end)s.",
                    end=format_day(meeting.ends_on)), "success")
            return redirect(url_for(".show", meeting_id=meeting.id))
    return render_template("meetings/vote.html", meeting=meeting, entry=entry,
                           questions=questions, given=given,
                           paper=PaperBallot.select().where(PaperBallot.entry == entry).exists(),
                           **LABELS), status


def save_online(meeting, entry, answers, changed):
    with db.atomic():
        for question_id, decision in answers.items():
            (Vote.insert(entry=entry.id, question=question_id, source="online",
                         decision=decision, resident=current_user.id, updated_at=now())
             .on_conflict(conflict_target=[Vote.entry, Vote.question, Vote.source],
                          update={Vote.decision: decision, Vote.resident: current_user.id,
                                  Vote.updated_at: now()})
             .execute())
        events.record("meeting_vote", meeting, f"№{entry.ballot_number} " + ",".join(
            answers[q] for q in sorted(answers)) + (" (changed)" if changed else ""),
            resident=current_user._get_current_object(),
            account_number=current_user.account.number)


@bp.route("/<int:meeting_id>/ballot.pdf")
@resident_required
def ballot_pdf(meeting_id):
    meeting = resident_meeting_or_404(meeting_id)
    entries = resident_entries(meeting)
    if not entries:
        flash(_("Your account is not in this meeting's register; ask the board."), "warning")
        return redirect(url_for(".show", meeting_id=meeting.id))
    data = forked.run("meetings.pdf.render_ballots", meeting.id, [e.id for e in entries],
                      database=True)
    return download(data, f"ballot-{meeting.id}.pdf")


@bp.route("/<int:meeting_id>/materials/<int:material_id>")
@resident_required
def material(meeting_id, material_id):
    meeting = resident_meeting_or_404(meeting_id)
    return storedfiles.send(get_material_or_404(meeting, material_id).file, inline=True)


PUBLISHED_MEETINGS = Prepared(Meeting.published_for)


@bp.app_template_global()
def meeting_notices(account):
    """The meetings whose notice the account's home page shows."""
    return list(PUBLISHED_MEETINGS(account.hoa_id, today()))

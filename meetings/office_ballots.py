"""The office's paper side of a meeting: returned ballots entered by number, online and paper
answers of one owner resolved, the ballots and the protocol as PDFs, the decisions exported,
the materials attached."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from peewee import IntegrityError

import forked
import storedfiles
from access import accountant_required, get_hoa_or_404
from meetings import events, export as exporting, tasks
from meetings.access import get_entry_or_404, get_material_or_404, get_meeting_or_404
from meetings.forms import DECISION_LABELS
from meetings.models import DECISIONS, MeetingMaterial, PaperBallot, RegisterEntry, Vote
from meetings.results import count_meeting, decisions_by_source
from models import db, now
from periods import today

bp = Blueprint("office_meeting_ballots", __name__,
               url_prefix="/office/<int:hoa_id>/meetings/<int:meeting_id>",
               template_folder="templates", cli_group=None)


def load(hoa_id, meeting_id):
    hoa = get_hoa_or_404(hoa_id)
    return hoa, get_meeting_or_404(hoa, meeting_id)


@bp.route("/ballots")
@accountant_required
def enter(hoa_id, meeting_id):
    hoa, meeting = load(hoa_id, meeting_id)
    number_text = request.args.get("number", "").strip()
    entry, status = None, 200
    if number_text:
        entry = RegisterEntry.get_or_none(
            RegisterEntry.meeting == meeting,
            RegisterEntry.ballot_number == (int(number_text) if number_text.isdigit()
                                            and len(number_text) < 10 else -1))
        if entry is None:
            flash(_("There is no ballot number %(number)s in this meeting's register.",
                    number=number_text[:20]), "danger")
            status = 404
    online, paper = decisions_by_source(meeting)
    result = count_meeting(meeting)
    return render_template(
        "meetings/office_ballots.html", hoa=hoa, meeting=meeting, entry=entry,
        questions=result.questions, paper=paper.get(entry.id, {}) if entry else {},
        ballot=PaperBallot.get_or_none(PaperBallot.entry == entry) if entry else None,
        online_given=bool(entry and online.get(entry.id)), conflicts=result.conflicts,
        online=online, all_paper=paper, decisions=DECISION_LABELS, number=number_text), status


@bp.route("/ballots/<int:entry_id>", methods=["POST"])
@accountant_required
def save(hoa_id, meeting_id, entry_id):
    hoa, meeting = load(hoa_id, meeting_id)
    entry = get_entry_or_404(meeting, entry_id)
    spoilt = request.form.get("spoilt") == "y"
    answers = {q.id: request.form.get(f"q{q.id}", "") for q in meeting.ordered_questions()}
    if any(answer not in DECISIONS + ("",) for answer in answers.values()):
        flash(_("Mark each question «for», «against», «abstain» or leave it without a valid "
                "answer."), "danger")
        return redirect(url_for(".enter", hoa_id=hoa.id, meeting_id=meeting.id,
                                number=entry.ballot_number))
    try:
        save_ballot(meeting, entry, spoilt, answers)
    except IntegrityError:  # the same ballot saved by someone else at this very moment
        flash(_("Ballot %(number)s was being saved by someone else at the same moment; check "
                "it and save it again.", number=entry.ballot_number), "danger")
        return redirect(url_for(".enter", hoa_id=hoa.id, meeting_id=meeting.id,
                                number=entry.ballot_number))
    flash(_("Ballot %(number)s is saved.", number=entry.ballot_number), "success")
    online = Vote.select().where(Vote.entry == entry, Vote.source == "online").exists()
    if online and meeting.online_counts and not entry.counted_source:
        flash(_("This owner also voted online: choose below which answers count."), "warning")
    return redirect(url_for(".enter", hoa_id=hoa.id, meeting_id=meeting.id))


def save_ballot(meeting, entry, spoilt, answers):
    with db.atomic():
        ballot = PaperBallot.get_or_none(PaperBallot.entry == entry) or PaperBallot(entry=entry)
        ballot.spoilt, ballot.accountant, ballot.entered_at = spoilt, current_user.id, now()
        ballot.save()
        Vote.delete().where(Vote.entry == entry, Vote.source == "paper").execute()
        if answers and not spoilt:
            Vote.insert_many([dict(entry=entry.id, question=qid, source="paper",
                                   decision=answer) for qid, answer in answers.items()]
                             ).execute()
        events.record("meeting_paper_ballot", meeting, f"№{entry.ballot_number}" +
                      (" spoilt" if spoilt else " " + ",".join(a or "-" for a in
                                                               answers.values())),
                      accountant=current_user.id)


@bp.route("/ballots/<int:entry_id>/resolve", methods=["POST"])
@accountant_required
def resolve(hoa_id, meeting_id, entry_id):
    hoa, meeting = load(hoa_id, meeting_id)
    entry = get_entry_or_404(meeting, entry_id)
    source = request.form.get("source", "")
    if source not in ("online", "paper"):
        flash(_("Choose the online answers or the paper ballot."), "danger")
    else:
        entry.counted_source = source
        entry.save(only=[RegisterEntry.counted_source])
        events.record("meeting_conflict_resolved", meeting, f"№{entry.ballot_number} {source}",
                      accountant=current_user.id)
        flash(_("Ballot %(number)s: the choice is saved.", number=entry.ballot_number),
              "success")
    return redirect(url_for(".enter", hoa_id=hoa.id, meeting_id=meeting.id) + "#conflicts")


@bp.route("/ballots.pdf")
@accountant_required
def ballots_pdf(hoa_id, meeting_id):
    hoa, meeting = load(hoa_id, meeting_id)
    if tasks.ballots_by_worker(meeting):
        if tasks.ballots_ready(meeting):
            return storedfiles.send(meeting.ballots_file)
        flash(_("The register is big: have the ballots prepared first, then download them."),
              "warning")
        return redirect(url_for("office_meetings.show", hoa_id=hoa.id, meeting_id=meeting.id))
    return exporting.download(forked.run("meetings.pdf.render_ballots", meeting.id,
                                         database=True),
                        f"ballots-{meeting.id}.pdf")


@bp.route("/ballots/prepare", methods=["POST"])
@accountant_required
def prepare_ballots(hoa_id, meeting_id):
    hoa, meeting = load(hoa_id, meeting_id)
    tasks.print_ballots(meeting.id)
    flash(_("The ballots are being prepared; reload this page in a minute to download them."),
          "info")
    return redirect(url_for("office_meetings.show", hoa_id=hoa.id, meeting_id=meeting.id))


@bp.route("/protocol.pdf")
@accountant_required
def protocol_pdf(hoa_id, meeting_id):
    hoa, meeting = load(hoa_id, meeting_id)
    result = count_meeting(meeting)
    if result.conflicts:
        flash(_("Resolve the owners who voted both online and on paper before printing the "
                "protocol."), "danger")
        return redirect(url_for(".enter", hoa_id=hoa.id, meeting_id=meeting.id) + "#conflicts")
    data = forked.run("meetings.pdf.render_protocol", meeting.id, today(), database=True)
    return exporting.download(data, f"protocol-{meeting.id}.pdf")


@bp.route("/decisions.<any(csv, xlsx):fmt>")
@accountant_required
def export(hoa_id, meeting_id, fmt):
    hoa, meeting = load(hoa_id, meeting_id)
    data, mimetype = exporting.decisions(meeting, count_meeting(meeting), fmt)
    return exporting.download(data, f"decisions-{meeting.id}.{fmt}", mimetype)


@bp.route("/materials", methods=["POST"])
@accountant_required
def material_add(hoa_id, meeting_id):
    hoa, meeting = load(hoa_id, meeting_id)
    title = " ".join((request.form.get("title") or "").split())[:200]
    upload = request.files.get("file")
    if not title or upload is None or not upload.filename:
        flash(_("Enter the document's title and choose its PDF file."), "danger")
    else:
        try:
            stored = storedfiles.store(upload, kinds=("pdf",))
        except storedfiles.FileRefused as e:
            flash(str(e), "danger")
        else:
            with db.atomic():
                stored.save()
                MeetingMaterial.create(meeting=meeting, title=title, file=stored)
            flash(_("The document is attached."), "success")
    return redirect(url_for("office_meetings.show", hoa_id=hoa.id, meeting_id=meeting.id))


@bp.route("/materials/<int:material_id>")
@accountant_required
def material(hoa_id, meeting_id, material_id):
    hoa, meeting = load(hoa_id, meeting_id)
    return storedfiles.send(get_material_or_404(meeting, material_id).file, inline=True)


@bp.route("/materials/<int:material_id>/delete", methods=["POST"])
@accountant_required
def material_delete(hoa_id, meeting_id, material_id):
    hoa, meeting = load(hoa_id, meeting_id)
    with db.atomic():
        get_material_or_404(meeting, material_id).delete_with_file()
    flash(_("The document is deleted."), "success")
    return redirect(url_for("office_meetings.show", hoa_id=hoa.id, meeting_id=meeting.id))

"""The meetings' background work: the notice's letters to every registered owner, and the
ballots of a register too big to print inside a request."""
import hashlib
import secrets

from flask import current_app
from flask_babel import gettext as _

import forked
import jobs
import mail
import mailqueue
from importer import request_context
from meetings.models import Meeting, Question, RegisterEntry
from models import Account, Resident, db, now
from storedfiles import PDF, StoredFile


def notice_recipients(meeting):
    """The activated logins of the accounts in the register (of members only, for a meeting
    of the ТСЖ's members)."""
    accounts = (RegisterEntry.select(RegisterEntry.account)
                .where(RegisterEntry.meeting == meeting, RegisterEntry.account.is_null(False)))
    if meeting.kind == "members":
        accounts = accounts.where(RegisterEntry.member == True)  # noqa: E712
    return list(Resident.select(Resident, Account).join(Account)
                .where(Resident.account.in_(accounts), Resident.activated_at.is_null(False))
                .order_by(Account.number))


@jobs.task()
def send_notice_letters(meeting_id):
    """Claim the meeting's letters and write them all in one transaction: a run after a kill
    either finds nothing done or everything written (the queue's own start hands those out),
    and of two runs at once only the one whose claim changed the row writes."""
    with request_context():
        with db.atomic():
            claimed = (Meeting.update(letters_sent_at=now())
                       .where(Meeting.id == meeting_id, Meeting.letters_sent_at.is_null())
                       .execute())
            if not claimed:
                return 0
            meeting = Meeting.get_by_id(meeting_id)
            letters = [mail.compose(
                resident.email, _("%(hoa)s: notice of a general meeting", hoa=meeting.hoa.name),
                "meeting_notice", meeting=meeting, resident=resident,
                link=mail.external_url("meetings.show", meeting_id=meeting.id))
                for resident in notice_recipients(meeting)]
    for letter in letters:
        mailqueue.post(letter)
    return len(letters)


def ballots_fingerprint(meeting):
    """What the ballots show, condensed: the meeting, its questions and its register."""
    digest = hashlib.sha256(repr((meeting.title, meeting.kind, meeting.form, meeting.initiator,
                                  meeting.starts_on, meeting.ends_on)).encode())
    for row in Question.select(Question.id, Question.position, Question.title,
                               Question.proposal).where(Question.meeting == meeting).tuples():
        digest.update(repr(row).encode())
    for row in (RegisterEntry.select(RegisterEntry.id, RegisterEntry.ballot_number,
                                     RegisterEntry.owner, RegisterEntry.premises,
                                     RegisterEntry.area, RegisterEntry.votes,
                                     RegisterEntry.share_numerator,
                                     RegisterEntry.share_denominator)
                .where(RegisterEntry.meeting == meeting).order_by(RegisterEntry.id).tuples()):
        digest.update(repr(row).encode())
    return digest.hexdigest()


def ballots_by_worker(meeting):
    """Whether the register is too big for a request (MEETING_BALLOTS_IN_REQUEST entries)."""
    return meeting.entries.count() > current_app.config["MEETING_BALLOTS_IN_REQUEST"]


def ballots_ready(meeting):
    return meeting.ballots_file_id is not None and \
        meeting.ballots_fingerprint == ballots_fingerprint(meeting)


@jobs.task()
def print_ballots(meeting_id):
    """Draw the ballots and keep them; a run for a register already printed does nothing, and
    one whose register changed while drawing keeps nothing (the office starts it again)."""
    meeting = Meeting.get_or_none(Meeting.id == meeting_id)
    if meeting is None or ballots_ready(meeting):
        return
    fingerprint = ballots_fingerprint(meeting)
    data = forked.run("meetings.pdf.render_ballots", meeting.id, database=True)
    with db.atomic():
        meeting = Meeting.get(Meeting.id == meeting_id)
        if ballots_fingerprint(meeting) != fingerprint:
            return
        old = meeting.ballots_file_id
        stored = StoredFile.create(token=secrets.token_urlsafe(18), content_type=PDF,
                                   name=f"ballots-{meeting.id}.pdf", size=len(data), data=data)
        meeting.ballots_file, meeting.ballots_fingerprint = stored, fingerprint
        meeting.save(only=[Meeting.ballots_file, Meeting.ballots_fingerprint])
        if old:
            StoredFile.delete().where(StoredFile.id == old).execute()

"""The meetings' background work: the notice's letters to every registered owner."""
from flask_babel import gettext as _

import jobs
import mail
import mailqueue
from importer import request_context
from meetings.models import Meeting, RegisterEntry
from models import Account, Resident, db, now


def notice_recipients(meeting):
    """The activated logins of the accounts in the register (each address once)."""
    accounts = (RegisterEntry.select(RegisterEntry.account)
                .where(RegisterEntry.meeting == meeting, RegisterEntry.account.is_null(False)))
    return list(Resident.select(Resident, Account).join(Account)
                .where(Resident.account.in_(accounts), Resident.activated_at.is_null(False))
                .order_by(Account.number))


@jobs.task()
def send_notice_letters(meeting_id):
    """Write every letter in one transaction and mark the meeting: a run after a kill either
    finds nothing done or everything written (the queue's own start hands those out)."""
    with request_context():
        with db.atomic():
            meeting = Meeting.get_or_none(Meeting.id == meeting_id)
            if meeting is None or meeting.letters_sent_at is not None:
                return 0
            letters = [mail.compose(
                resident.email, _("%(hoa)s: notice of a general meeting", hoa=meeting.hoa.name),
                "meeting_notice", meeting=meeting, resident=resident,
                link=mail.external_url("meetings.show", meeting_id=meeting.id))
                for resident in notice_recipients(meeting)]
            meeting.letters_sent_at = now()
            meeting.save(only=[Meeting.letters_sent_at])
    for letter in letters:
        mailqueue.post(letter)
    return len(letters)

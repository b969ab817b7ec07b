"""The meetings, entries and materials a request may reach: the current accountant's HOA's,
or the current resident's; anything else is 404."""
from flask_login import current_user

from access import one_or_404
from meetings.models import Meeting, MeetingMaterial, Question, RegisterEntry
from models import Account


def get_meeting_or_404(hoa, meeting_id):
    return one_or_404(Meeting, Meeting.id == meeting_id, Meeting.hoa == hoa.id)


def get_question_or_404(meeting, question_id):
    return one_or_404(Question, Question.id == question_id, Question.meeting == meeting)


def get_entry_or_404(meeting, entry_id):
    return one_or_404(RegisterEntry, RegisterEntry.id == entry_id,
                      RegisterEntry.meeting == meeting)


def get_material_or_404(meeting, material_id):
    return one_or_404(MeetingMaterial, MeetingMaterial.id == material_id,
                      MeetingMaterial.meeting == meeting)


def resident_meeting_or_404(meeting_id):
    """A published meeting of the current resident's HOA."""
    return one_or_404(Meeting, Meeting.id == meeting_id,
                      Meeting.hoa == current_user.account.hoa_id,
                      Meeting.notice_published_on.is_null(False))


def resident_entries(meeting):
    """The register entries of the current resident's account in this meeting."""
    return list(RegisterEntry.select().where(RegisterEntry.meeting == meeting,
                                             RegisterEntry.account == current_user.account_id)
                .order_by(RegisterEntry.ballot_number))


def resident_entry_or_404(meeting, entry_id):
    return one_or_404(RegisterEntry, RegisterEntry.id == entry_id,
                      RegisterEntry.meeting == meeting,
                      RegisterEntry.account == current_user.account_id)


def account_of_hoa(hoa, number):
    """The HOA's account with this number, or None."""
    return Account.get_or_none(Account.number == number, Account.hoa == hoa) if number else None

"""The meetings, entries and materials a request may reach: the current accountant's HOA's,
or the current resident's; anything else is 404."""
from flask import abort
from flask_login import current_user

from meetings.models import Meeting, MeetingMaterial, Question, RegisterEntry
from models import Account


def get_meeting_or_404(hoa, meeting_id):
    meeting = Meeting.get_or_none(Meeting.id == meeting_id, Meeting.hoa == hoa.id)
    if meeting is None:
        abort(404)
    return meeting


def get_question_or_404(meeting, question_id):
    question = Question.get_or_none(Question.id == question_id, Question.meeting == meeting)
    if question is None:
        abort(404)
    return question


def get_entry_or_404(meeting, entry_id):
    entry = RegisterEntry.get_or_none(RegisterEntry.id == entry_id,
                                      RegisterEntry.meeting == meeting)
    if entry is None:
        abort(404)
    return entry


def get_material_or_404(meeting, material_id):
    material = MeetingMaterial.get_or_none(MeetingMaterial.id == material_id,
                                           MeetingMaterial.meeting == meeting)
    if material is None:
        abort(404)
    return material


def resident_meeting_or_404(meeting_id):
    """A published meeting of the current resident's HOA."""
    meeting = Meeting.get_or_none(Meeting.id == meeting_id,
                                  Meeting.hoa == current_user.account.hoa_id,
                                  Meeting.notice_published_on.is_null(False))
    if meeting is None:
        abort(404)
    return meeting


def resident_entries(meeting):
    """The register entries of the current resident's account in this meeting."""
    return list(RegisterEntry.select().where(RegisterEntry.meeting == meeting,
                                             RegisterEntry.account == current_user.account_id)
                .order_by(RegisterEntry.ballot_number))


def resident_entry_or_404(meeting, entry_id):
    entry = RegisterEntry.get_or_none(RegisterEntry.id == entry_id,
                                      RegisterEntry.meeting == meeting,
                                      RegisterEntry.account == current_user.account_id)
    if entry is None:
        abort(404)
    return entry


def account_of_hoa(hoa, number):
    """The HOA's account with this number, or None."""
    return Account.get_or_none(Account.number == number, Account.hoa == hoa) if number else None

"""Meetings made directly with the models, with a small register worked out by hand."""
from datetime import date
from decimal import Decimal as D
from fractions import Fraction as F

from meetings import register
from meetings.models import Meeting, Question
from models import Account

TODAY = date(2026, 3, 12)  # inside the voting period below
QUESTIONS = [
    ("Выбор председателя и секретаря собрания", "voted_half"),
    ("Утверждение сметы на 2026 год", "all_half"),
    ("Капитальный ремонт крыши", "all_two_thirds"),
]


def make_meeting(hoa, online=True, kind="owners", published=True, **fields):
    meeting = Meeting.create(
        hoa=hoa, title="Годовое общее собрание 2026", kind=kind, form="mixed",
        initiator="Правление ТСЖ «Рассвет»", starts_on=date(2026, 3, 10),
        ends_on=date(2026, 3, 20), in_person_place="холл первого подъезда",
        online_counts=online, number="1/2026", storage_place="офис правления, кв. 1",
        notice_published_on=date(2026, 2, 25) if published else None, **fields)
    for position, (title, majority) in enumerate(QUESTIONS, start=1):
        Question.create(meeting=meeting, position=position, title=title, majority=majority,
                        proposal=f"Принять решение: {title.lower()}", speaker="Иванов И. И.")
    return meeting


def small_register(meeting):
    """Four premises, 300 m² in all: кв. 1 (100 m², two owners by halves) is account 100001,
    кв. 2 (100 m²) is 100002, кв. 3 (50 m²) 100003 and an office (50 m², non-residential)."""
    accounts = {a.number: a.id for a in Account.select().where(Account.number.in_(
        ["100001", "100002", "100003"]))}
    register.replace(meeting, [
        ("ул. Солнечная, д. 12, кв. 1", D("100.00"), False, accounts["100001"],
         [("Иванов И. И.", F(1, 2), True), ("Иванова А. А.", F(1, 2), False)]),
        ("ул. Солнечная, д. 12, кв. 2", D("100.00"), False, accounts["100002"],
         [("Петров П. П.", F(1), True)]),
        ("ул. Солнечная, д. 12, кв. 3", D("50.00"), False, accounts["100003"],
         [("Сидоров С. С.", F(1), True)]),
        ("ул. Солнечная, д. 12, пом. 10", D("50.00"), True, None,
         [("ООО «Аптека»", F(1), False)]),
    ])
    return {e.owner: e for e in meeting.ordered_entries()}

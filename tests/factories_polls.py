"""Polls made directly with the models, and the office form's data, for the polls tests."""
from datetime import date

from polls.models import Poll, PollOption

TODAY = "2026-03-10"


def make_poll(hoa, question="Ставить ли шлагбаум во дворе?", options=("Да", "Нет"),
              opens_on=date(2026, 3, 1), **fields):
    """A poll of the HOA with its options (call inside an app context)."""
    poll = Poll.create(hoa=hoa, question=question, opens_on=opens_on, **fields)
    for position, text in enumerate(options, 1):
        PollOption.create(poll=poll, position=position, text=text)
    return poll


def options_of(poll):
    return {option.text: option.id for option in poll.ordered_options()}


def form_data(question="Красим подъезды в зелёный или в бежевый?", options=("Зелёный", "Бежевый"),
              opens_on="2026-03-01", closes_on="2026-03-20", weighting="account", **extra):
    data = {"question": question, "weighting": weighting, "opens_on": opens_on,
            "closes_on": closes_on, **extra}
    for i, text in enumerate(options):
        data[f"options-{i}"] = text
    return data

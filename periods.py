"""Months as Domkom counts them: a period is the first day of its month (`date`)."""
import re
from datetime import date, timedelta


def month_start(day):
    return day.replace(day=1)


def last_day_of_month(day):
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def add_months(period, months):
    index = period.year * 12 + period.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# days a notice or a bill can name: the pages and PDFs count months around them
FIRST_DAY, LAST_DAY = date(1990, 1, 1), date(2099, 12, 31)

PERIOD_TEXT = re.compile(r"([0-9]{4})-([0-9]{2})")


def parse_period(text):
    """'2026-03' -> date(2026, 3, 1); None when it is not a month written so."""
    found = PERIOD_TEXT.fullmatch(text) if isinstance(text, str) else None
    try:
        return date(int(found[1]), int(found[2]), 1) if found else None
    except ValueError:
        return None

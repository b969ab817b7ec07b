"""Days and months as Domkom counts them: a period is the first day of its month (`date`);
"today", and an HOA's readings window."""
import re
from datetime import date, timedelta

from flask import current_app, has_app_context


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


def today():
    """Today, or the TODAY the configuration fixes (DOMKOM_TODAY: tests, demonstrations): the
    one "today" of every page, the readings window and the notices."""
    fixed = current_app.config.get("TODAY") if has_app_context() else None
    if isinstance(fixed, str):
        fixed = date.fromisoformat(fixed)
    return fixed or date.today()


class ReadingsWindow:
    """The readings window of an HOA (Hoa): the days of each month readings are taken, from
    window_start_day to window_end_day, into the next month when the end comes first."""

    def window_crosses_month(self):
        """A closing day before the opening day: the window ends in the following month."""
        return self.window_end_day < self.window_start_day

    def window_of(self, period):
        """First and last day of the readings window of the month `period`: it opens in that
        month and, when it crosses the month's end, closes in the next one."""
        end_month = add_months(period, 1) if self.window_crosses_month() else period
        return on_day(period, self.window_start_day), on_day(end_month, self.window_end_day)

    def window_at(self, day):
        """(period, first day, last day) of the window open on `day`, else of the next one."""
        for months in (-1, 0, 1):
            period = add_months(month_start(day), months)
            start, end = self.window_of(period)
            if day <= end:
                return period, start, end
        raise AssertionError("a window ends within two months of its opening")

    def readings_period(self, day):
        """The month a reading taken on `day` counts for: the month whose window is open (a
        reading of 1-5 April in a 25th-5th window is March's), else the calendar month."""
        period, start, end = self.window_at(day)
        return period if start <= day else month_start(day)

    def window_bounds(self, day):
        """First and last day of the window open on `day`, else of the next one to open."""
        return self.window_at(day)[1:]

    def window_state(self, day=None):
        """(is_open, days_left_including_today, opening_date) for the readings window."""
        day = day or today()
        start, end = self.window_bounds(day)
        if start <= day:
            return True, (end - day).days + 1, start
        return False, 0, start


def on_day(period, number):
    """Day `number` of the month `period`; days past the month's end mean its last day."""
    return period.replace(day=min(number, last_day_of_month(period).day))

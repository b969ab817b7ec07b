"""Numbers, months, days, balances and months in URLs are written and read by one rule each."""
from datetime import date
from decimal import Decimal

from charts import short_value
from formats import format_number, format_period
from periods import parse_period
from receipts import balance_text, period_name


def test_a_month_is_four_and_two_ascii_digits():
    assert parse_period("2026-03") == date(2026, 3, 1)
    for text in ("+123-03", "2026-3", "２０２６-03", "2026-13", " 2026-03", None, 202603):
        assert parse_period(text) is None, text


def test_the_chart_and_the_receipt_use_the_page_rules(app):
    with app.test_request_context():
        assert short_value(Decimal("8"), Decimal("20")) == format_number(8, 1, trim=False) == "8,0"
        assert period_name(date(2026, 3, 1)) == format_period(date(2026, 3, 1), "ru") == "март 2026"
    assert balance_text(Decimal("10")) == "долг 10,00 ₽"
    assert balance_text(Decimal("-10")) == "аванс 10,00 ₽"
    assert balance_text(Decimal("0")) == "0,00 ₽"

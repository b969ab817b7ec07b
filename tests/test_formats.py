"""formats.py: the cheap filters and template calls give what the generic ones gave."""
from datetime import date
from decimal import Decimal

from flask import render_template_string
from flask_babel import force_locale

from formats import format_balance, format_day, format_money, format_period
from speedups import ConstantCalls


def test_money_is_written_the_russian_way():
    assert format_money(Decimal("4512.3")) == "4 512,30 ₽"
    assert format_money(4512.3) == "4 512,30 ₽"
    assert format_money(Decimal("-1234567.895")) == "-1 234 567,90 ₽"  # half to even, like quantize
    assert format_money(Decimal("-0.001")) == "0,00 ₽"  # never "-0,00"
    assert format_money(0, currency=False) == "0,00"
    assert format_money(None) == "—"


def test_months_and_days_in_both_languages(app):
    with app.test_request_context():
        for _ in range(2):  # the second time from the per-locale memo
            with force_locale("ru"):
                assert format_period(date(2026, 3, 17)) == "март 2026"
            with force_locale("en"):
                assert format_period(date(2026, 3, 1)) == "March 2026"
        assert format_period(None) == ""
        assert format_day(date(2026, 3, 7)) == "07.03.2026"
        assert format_day(None) == "—"


def test_a_balance_cell_says_debt_or_advance(app):
    with app.test_request_context(), force_locale("ru"):
        assert format_balance(Decimal("10")) == \
            '<span class="money text-danger">долг 10,00 ₽</span>'
        assert format_balance(Decimal("-5.5")) == \
            '<span class="money text-success">аванс 5,50 ₽</span>'
        assert format_balance(Decimal("0")) == '<span class="money">0,00 ₽</span>'


def compiled(app, source, name="page.html"):
    stream = app.jinja_env._tokenize(source, name, name)
    return " ".join(str(t.value) for t in ConstantCalls(app.jinja_env).filter_stream(stream))


def test_only_single_constant_calls_become_lookups(app):
    assert "_messages [ Help ]" in compiled(app, '{{ _("Help") }}')
    assert "_links [ pages.help ]" in compiled(app, "{{ url_for('pages.help') }}")
    for untouched in ['{{ _("Account %(n)s", n=1) }}', "{{ url_for('pages.help', x=1) }}",
                      '{{ obj._("Help") }}', '{{ _(name) }}', '{{ _("a" "b") }}']:
        assert "_messages" not in compiled(app, untouched)
        assert "_links" not in compiled(app, untouched)
    # plain-text mail is not autoescaped: left to the i18n extension
    assert "_messages" not in compiled(app, '{{ _("Help") }}', "email/activation.txt")


def test_lookups_render_what_the_calls_rendered(app):
    template = ('{{ _("Help") }}|{{ _("Log in") }}|{{ url_for("pages.help") }}|'
                '{{ _("Account %(number)s", number="<1>") }}')
    with app.test_request_context():
        for lang, expected in (("ru", "Инструкция|Войти|/help|Лицевой счёт &lt;1&gt;"),
                               ("en", "Help|Log in|/help|Account &lt;1&gt;")):
            with force_locale(lang):
                assert render_template_string(template) == expected
                env = app.jinja_env
                plain = env.from_string(template.replace('_("', 'gettext("'))
                assert plain.render() == expected  # the i18n extension's own path

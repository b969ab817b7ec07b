"""What the resident reads: a bill not yet due is no debt, one «Начислено», contacts said once,
the readings card, links in notices, English pages in English, the privacy policy's operator."""
import re
from datetime import date, datetime

import pytest

from factories import add_month, login_as
from factories_meters import make_meter
from meter_models import Reading
from models import Account, Hoa, Notice

NOV = date(2026, 11, 1)


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


@pytest.fixture
def november(demo, client):
    """Account 100003 with November's bill only (a benefit on it), logged in."""
    with demo.app_context():
        add_month(Account.by_number("100003"), NOV, opening="0", benefit="150.00")
        login_as(client, "100003")
    return client


def test_a_bill_before_its_pay_by_day_is_due_not_a_debt(demo, november):
    demo.config["TODAY"] = "2026-12-01"
    home = november.get("/cabinet").get_data(as_text=True)
    assert 'data-balance="due"' in home and "Долг" not in home
    assert "К оплате до 10.12.2026: 4 099,06 ₽" in text(november.get("/cabinet"))
    assert "К оплате за ноябрь 2026 до 10.12.2026: 4 099,06 ₽." in \
        text(november.get("/cabinet/statements"))
    demo.config["TODAY"] = "2026-12-11"
    assert "Долг: 4 099,06 ₽" in text(november.get("/cabinet"))
    assert 'data-balance="debt"' in november.get("/cabinet/statements").get_data(as_text=True)


def test_an_unpaid_earlier_month_is_a_debt_at_once(demo, client):
    with demo.app_context():
        add_month(Account.by_number("100004"), NOV, opening="1000.00")
        login_as(client, "100004")
    demo.config["TODAY"] = "2026-12-01"
    assert 'data-balance="debt"' in client.get("/cabinet").get_data(as_text=True)


def test_charged_on_the_home_page_is_the_statements_figure(demo, november):
    home = text(november.get("/cabinet"))
    month = text(november.get("/cabinet/statements/2026-11"))
    assert "Начислено за ноябрь 2026: 4 249,06 ₽" in home
    assert "С учётом перерасчёта и льгот: 4 099,06 ₽" in home
    assert "Начислено 4 249,06 ₽" in month


def test_the_hoa_contacts_do_not_repeat_the_word_accountant(demo, november):
    home = text(november.get("/cabinet"))
    assert "Контакты товарищества: бухгалтер Анна Викторовна, +7 (846) 200-00-01, " \
        "buh@rassvet.example" in home
    assert "Бухгалтер вашего товарищества" not in home


def test_the_readings_card_links_to_the_form_and_says_what_was_sent(demo, november):
    demo.config["TODAY"] = "2026-12-03"
    with demo.app_context():
        meter = make_meter(number="100003", kind="cold_water", serial="CW-3")
    home = november.get("/cabinet").get_data(as_text=True)
    assert 'href="/cabinet/meters" data-readings-link>Передать показания</a>' in home
    assert "data-sent" not in home
    with demo.app_context():
        Reading.create(meter=meter, period=date(2026, 12, 1), t1=5,
                       submitted_at=datetime(2026, 12, 2, 9, 30))
    home = november.get("/cabinet")
    assert "Показания за этот месяц переданы 02.12.2026." in text(home)
    assert ">Исправить показания</a>" in home.get_data(as_text=True)


def test_the_meter_form_asks_for_the_current_reading(demo, november):
    with demo.app_context():
        make_meter(number="100003", kind="cold_water", serial="CW-3")
    assert "Текущее показание, м³" in text(november.get("/cabinet/meters"))


def test_web_addresses_in_a_notice_are_links_and_nothing_else_is(demo, november):
    with demo.app_context():
        Notice.create(hoa=Hoa.get(Hoa.prefixes == "10"), title="Собрание",
                      body="Повестка: https://rassvet.example/agenda?a=1&b=2. "
                           "Не ссылка: javascript:alert(1) <b>жирный</b> (см. http://x.example/p)",
                      starts_on=date(2026, 1, 1))
    html = november.get("/cabinet").get_data(as_text=True)
    assert '<a href="https://rassvet.example/agenda?a=1&amp;b=2" rel="noopener noreferrer" ' \
        'target="_blank">https://rassvet.example/agenda?a=1&amp;b=2</a>. ' in html
    assert '<a href="http://x.example/p" rel="noopener noreferrer" target="_blank">' \
        'http://x.example/p</a>)' in html
    assert "&lt;b&gt;жирный&lt;/b&gt;" in html and 'href="javascript' not in html


def test_an_english_page_writes_units_and_addresses_without_mixing(demo, november):
    with demo.app_context():
        make_meter(number="100003", kind="cold_water", serial="CW-3")
    november.post("/lang/en")
    meters = text(november.get("/cabinet/meters"))
    month = text(november.get("/cabinet/statements/2026-11"))
    home = text(november.get("/cabinet"))
    assert "m³" in meters and "м³" not in meters
    assert "kWh" in month and "м³" not in month and "кВт·ч" not in month
    assert "apt." not in home and re.search(r"д\. \d+, кв\. \d+", home)


def test_the_privacy_policy_names_the_operator_and_its_version_in_words(tmp_path):
    from testdb import make_app
    app = make_app(tmp_path, OPERATOR_NAME="ТСЖ «Рассвет», ИНН 6312345678",
                   OPERATOR_ADDRESS="443000, г. Самара, ул. Солнечная, д. 12",
                   OPERATOR_EMAIL="privacy@rassvet.example", OPERATOR_PHONE="+7 846 200-00-01",
                   PRIVACY_POLICY_VERSION="2026-11-20")
    page = text(app.test_client().get("/privacy"))
    assert "Оператор персональных данных Оператор ТСЖ «Рассвет», ИНН 6312345678 " \
        "Адрес 443000, г. Самара, ул. Солнечная, д. 12 E-mail privacy@rassvet.example " \
        "Телефон +7 846 200-00-01" in page
    assert "Редакция политики: 20 ноября 2026" in page
    app.config["PRIVACY_POLICY_VERSION"] = "2026-11"
    assert "Редакция политики: ноябрь 2026" in text(app.test_client().get("/privacy"))

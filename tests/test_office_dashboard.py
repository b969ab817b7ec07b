"""The office's home page of an HOA is a dashboard of the month, not a second menu."""
import re

from factories import make_resident
from meter_models import Meter, Reading
from models import Account


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_dashboard_shows_the_month_in_figures_and_a_chart(demo_full, office, client):
    with demo_full.app_context():
        make_resident("100001", "resident-pass-1")
        meters = list(Meter.select().join(Account).where(Account.number == "100002"))
        for meter in meters:
            Reading.create(meter=meter, period="2026-12-01", t1=meter.initial_t1 + 1000,
                           status="flagged")
        total_meters = Meter.select().where(Meter.archived == False).count()  # noqa: E712
    demo_full.config["TODAY"] = "2026-12-03"
    html = client.get(f"/office/{office.id}").get_data(as_text=True)
    text = text_of(html)
    assert "Зарегистрировано лицевых счетов 1 из 40" in text
    assert f"Показания счётчиков за декабрь 2026 {len(meters)} из {total_meters}" in text
    assert f"Ещё нет показаний {total_meters - len(meters)} счётчиков" in text
    # charged against paid: figures in words and a chart of the months
    assert re.search(r"За ноябрь 2026: начислено [\d  ]+,\d\d ₽ ?, оплачено [\d  ]+,\d\d ₽", text)
    assert html.count('class="chart-charged"') == 6 and html.count('class="chart-paid"') == 6
    assert 'data-problem="flagged"' in html
    # the sections are in the menu once, not repeated as the page's content
    main = html.split("<main", 1)[1]
    assert "Журнал безопасности" not in main


def test_an_hoa_without_data_has_an_empty_dashboard(demo, office, client):
    office.bic = office.settlement_account = office.corr_account = ""
    with demo.app_context():
        office.save()
    html = client.get(f"/office/{office.id}").get_data(as_text=True)
    assert 'data-chart="money"' not in html
    assert "Зарегистрировано лицевых счетов" in html and "0 из 40" in html
    assert 'data-problem="requisites"' in html

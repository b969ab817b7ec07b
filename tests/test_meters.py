"""The resident's meter readings: the page, every rule of the form, history and chart."""
import threading
from datetime import date
from decimal import Decimal

import pytest

from factories_meters import TODAY, add_reading, standard_meters
from meter_models import Meter, Reading
from models import Hoa


@pytest.fixture
def ids(demo, logged_in, client):
    demo.config["TODAY"] = TODAY
    client.post("/lang/en")  # messages are checked in English; one test reads the Russian page
    with demo.app_context():
        return standard_meters()


def field(meter_id, zone=1):
    return f"m{meter_id}_t{zone}"


def snapshot(app):
    with app.app_context():
        return [(r.meter_id, r.period, r.t1, r.t2, r.status, r.source)
                for r in Reading.select().order_by(Reading.id)]


def counting(app, meter_id, period=date(2026, 3, 1)):
    with app.app_context():
        meter = Meter.get_by_id(meter_id)
        return Reading.counting_for_period([meter], period).get(meter_id)


def test_page_shows_meters_window_and_form(ids, client):
    html = client.get("/cabinet/meters").get_data(as_text=True)
    assert 'data-window="open"' in html
    assert "31.03.2026" in html and "12" in html  # open until the 31st, 12 days left
    assert "CW-1" in html and "EL-1" in html and "GAS-1" in html
    assert f'name="{field(ids["cold"])}"' in html
    assert f'name="{field(ids["power"], 1)}"' in html and f'name="{field(ids["power"], 2)}"' in html
    # the expired meter has no field and says why and whom to call
    assert f'name="{field(ids["gas"])}"' not in html
    assert "data-expired" in html and "+7 (846) 200-00-01" in html
    # the archived meter takes nothing
    assert f'name="{field(ids["old"])}"' not in html
    assert "106" in html  # the last reading


def test_valid_readings_saved_with_who_when_where(demo, ids, client):
    r = client.post("/cabinet/meters", data={field(ids["cold"]): "112,5",
                                             field(ids["power"], 1): "1300.25",
                                             field(ids["power"], 2): "600"})
    assert r.status_code == 302
    reading = counting(demo, ids["cold"])
    assert reading.t1 == Decimal("112.5") and reading.source == "resident"
    assert reading.status == "accepted" and reading.ip == "127.0.0.1"
    assert reading.resident_id is not None and reading.submitted_at is not None
    power = counting(demo, ids["power"])
    assert (power.t1, power.t2) == (Decimal("1300.25"), Decimal("600"))
    html = client.get("/cabinet/meters").get_data(as_text=True)
    assert "2 readings are saved" in html and "data-current" in html


@pytest.mark.parametrize("text, message", [
    ("abc", "digits only"),
    ("12a", "digits only"),
    ("1,2,3", "digits only"),
    ("-5", "cannot be negative"),
    ("112,1234", "At most 3 digits"),
    ("99999999999", "too large"),
])
def test_bad_number_refused_next_to_field(demo, ids, client, text, message):
    before = snapshot(demo)
    r = client.post("/cabinet/meters", data={field(ids["cold"]): text})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert message in html and "invalid-feedback" in html
    assert f'value="{text}"' in html  # what was typed stays in the field
    assert snapshot(demo) == before


def test_one_bad_field_saves_nothing_at_all(demo, ids, client):
    before = snapshot(demo)
    r = client.post("/cabinet/meters", data={field(ids["cold"]): "112",
                                             field(ids["power"], 1): "abc",
                                             field(ids["power"], 2): "600"})
    assert r.status_code == 400
    assert snapshot(demo) == before


def test_every_zone_needed(demo, ids, client):
    before = snapshot(demo)
    r = client.post("/cabinet/meters", data={field(ids["power"], 1): "1200"})
    assert r.status_code == 400
    assert "Enter every tariff zone" in r.get_data(as_text=True)
    assert snapshot(demo) == before


def test_lower_than_previous_refused_then_saved_flagged_when_replaced(demo, ids, client):
    before = snapshot(demo)
    r = client.post("/cabinet/meters", data={field(ids["cold"]): "5"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "below the previous one (106, February 2026)" in html
    assert snapshot(demo) == before
    r = client.post("/cabinet/meters", data={field(ids["cold"]): "5",
                                             f"m{ids['cold']}_replaced": "y"})
    assert r.status_code == 302
    reading = counting(demo, ids["cold"])
    assert reading.t1 == Decimal("5") and reading.status == "flagged"
    assert "replaced" in reading.reason


def test_large_consumption_asks_to_confirm(demo, ids, client):
    # 60 m³ in a month: large, though not so far out that the accountant must check it
    before = snapshot(demo)
    r = client.post("/cabinet/meters", data={field(ids["cold"]): "166"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "much more than usual" in html and "That is 60 " in html and "data-confirm" in html
    assert snapshot(demo) == before
    r = client.post("/cabinet/meters", data={field(ids["cold"]): "166",
                                             f"m{ids['cold']}_confirm": "y"})
    assert r.status_code == 302
    reading = counting(demo, ids["cold"])
    assert reading.t1 == Decimal("166") and reading.status == "accepted"


def test_ordinary_consumption_needs_no_confirmation(demo, ids, client):
    # 6 a month on average: 19 more is under the floor of 20 m³
    assert client.post("/cabinet/meters", data={field(ids["cold"]): "125"}).status_code == 302
    reading = counting(demo, ids["cold"])
    assert reading.t1 == Decimal("125") and reading.status == "accepted"
    assert reading.source == "resident"


def test_expired_meter_takes_nothing(demo, ids, client):
    before = snapshot(demo)
    r = client.post("/cabinet/meters", data={field(ids["gas"]): "10",
                                             field(ids["cold"]): "112"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "expired on 01.02.2026" in html and "Анна Викторовна" in html
    assert snapshot(demo) == before


def test_archived_meter_takes_nothing(demo, ids, client):
    before = snapshot(demo)
    r = client.post("/cabinet/meters", data={field(ids["old"]): "10"})
    assert r.status_code == 400
    assert "archived" in r.get_data(as_text=True)
    assert snapshot(demo) == before


@pytest.mark.parametrize("target", ["foreign", "missing"])
def test_other_accounts_meter_is_404(demo, ids, client, target):
    meter_id = ids["foreign"] if target == "foreign" else 99999
    before = snapshot(demo)
    r = client.post("/cabinet/meters", data={field(ids["cold"]): "112", field(meter_id): "5"})
    assert r.status_code == 404
    assert snapshot(demo) == before
    assert client.get(f"/cabinet/meters/{meter_id}").status_code == 404


def test_outside_window_nothing_accepted(demo, ids, client):
    with demo.app_context():
        Hoa.update(window_start_day=25, window_end_day=28).where(Hoa.prefixes == "10").execute()
    html = client.get("/cabinet/meters").get_data(as_text=True)
    assert 'data-window="closed"' in html and "25.03.2026" in html
    assert f'name="{field(ids["cold"])}"' not in html
    before = snapshot(demo)
    r = client.post("/cabinet/meters", data={field(ids["cold"]): "112"})
    assert r.status_code == 400
    assert "window opens on 25.03.2026" in r.get_data(as_text=True)
    assert snapshot(demo) == before


def test_same_reading_twice_is_harmless(demo, ids, client):
    assert client.post("/cabinet/meters", data={field(ids["cold"]): "112"}).status_code == 302
    before = snapshot(demo)
    r = client.post("/cabinet/meters", data={field(ids["cold"]): "112,000"},
                    follow_redirects=True)
    assert r.status_code == 200
    assert "already saved" in r.get_data(as_text=True)
    assert snapshot(demo) == before


def test_correction_keeps_history_latest_counts(demo, ids, client):
    client.post("/cabinet/meters", data={field(ids["cold"]): "112"})
    client.post("/cabinet/meters", data={field(ids["cold"]): "111,5"})
    with demo.app_context():
        march = Reading.select().where(Reading.meter == ids["cold"],
                                       Reading.period == date(2026, 3, 1))
        assert sorted(r.t1 for r in march) == [Decimal("111.5"), Decimal("112")]
    assert counting(demo, ids["cold"]).t1 == Decimal("111.5")


def test_empty_form_saves_nothing(demo, ids, client):
    before = snapshot(demo)
    r = client.post("/cabinet/meters", data={field(ids["cold"]): "  "})
    assert r.status_code == 400
    assert "No readings were entered" in r.get_data(as_text=True)
    assert snapshot(demo) == before


def test_two_tabs_at_once_both_kept_later_counts(demo, ids, client):
    second = demo.test_client()
    for cookie in client._cookies.values():
        second.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    barrier = threading.Barrier(2)
    statuses = {}

    def send(name, tab, value):
        barrier.wait()
        statuses[name] = tab.post("/cabinet/meters", data={field(ids["cold"]): value}).status_code

    threads = [threading.Thread(target=send, args=("a", client, "112")),
               threading.Thread(target=send, args=("b", second, "113"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == {"a": 302, "b": 302}
    with demo.app_context():
        march = list(Reading.select().where(Reading.meter == ids["cold"],
                                            Reading.period == date(2026, 3, 1))
                     .order_by(Reading.id))
    assert sorted(r.t1 for r in march) == [Decimal("112"), Decimal("113")]
    assert counting(demo, ids["cold"]).t1 == march[-1].t1


def test_history_table_and_chart(demo, ids, client):
    with demo.app_context():
        meter = Meter.get_by_id(ids["cold"])
        for month, value in [(3, 113), (4, 121), (5, 126)]:
            add_reading(meter, date(2026, month, 1), value)
    html = client.get(f"/cabinet/meters/{ids['cold']}").get_data(as_text=True)
    assert "data-history" in html and "<svg" in html and "data-chart" in html
    assert html.count('class="chart-t1"') == 4  # Feb-May have a consumption
    assert "8,0" in html  # April: 121 - 113
    assert "style=" not in html and "<script>" not in html


def test_history_of_two_zone_meter_stacks_zones(demo, ids, client):
    html = client.get(f"/cabinet/meters/{ids['power']}").get_data(as_text=True)
    assert 'class="chart-t1"' in html and 'class="chart-t2"' in html
    assert "210" in html  # 150 + 60 in February


def test_history_without_readings_says_so(demo, ids, client):
    html = client.get(f"/cabinet/meters/{ids['gas']}").get_data(as_text=True)
    assert "data-no-chart" in html


def test_meters_need_login(demo, client):
    r = client.get("/cabinet/meters")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_russian_page(demo, ids, client):
    client.post("/lang/ru")
    html = client.get("/cabinet/meters").get_data(as_text=True)
    assert "Показания за март 2026 принимаются до 31.03.2026" in html
    assert "Осталось 12 дней" in html and "Холодная вода" in html


def test_history_spreads_a_gap_over_its_months(demo, ids, client):
    with demo.app_context():
        meter = Meter.get_by_id(ids["cold"])
        add_reading(meter, date(2026, 5, 1), 118)  # March and April were skipped
    html = client.get(f"/cabinet/meters/{ids['cold']}").get_data(as_text=True)
    assert "since the previous reading (February 2026)" in html
    assert html.count(">4,0</text>") == 3  # 12 m³ shown as 4 a month in March, April and May

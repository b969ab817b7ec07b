"""The resident's monthly readings loop: every error at once, far-out readings reviewed, a
window across the month's end, and one "today" for every page."""
from datetime import date, datetime
from decimal import Decimal

import pytest

from factories_meters import TODAY, add_reading, clear_meters, make_meter, monthly, standard_meters
from meter_models import Meter, Reading, ReminderSent
from models import Hoa
from readings import FAR_REASON


@pytest.fixture
def ids(demo, logged_in, client):
    demo.config["TODAY"] = TODAY
    client.post("/lang/en")
    with demo.app_context():
        ids = standard_meters()
        hot = make_meter(kind="hot_water", serial="HW-1", place="ванная")
        monthly(hot, date(2026, 1, 1), [50, 53])
        gas = make_meter(kind="gas", serial="GAS-2", place="кухня")
        monthly(gas, date(2026, 1, 1), [100, 115])
        return dict(ids, hot=hot.id, gas2=gas.id)


def field(meter_id, zone=1):
    return f"m{meter_id}_t{zone}"


def readings(app):
    with app.app_context():
        return [(r.meter_id, r.period, r.t1, r.t2, r.status) for r in Reading.select()
                .order_by(Reading.id)]


def set_window(app, start, end):
    with app.app_context():
        Hoa.update(window_start_day=start, window_end_day=end) \
            .where(Hoa.prefixes == "10").execute()


# --- 11: every field's error at once ------------------------------------------------------------

def test_every_meters_error_is_shown_at_once(demo, ids, client):
    before = readings(demo)
    r = client.post("/cabinet/meters", data={field(ids["cold"]): "abc",
                                             field(ids["power"], 1): "99999999",
                                             field(ids["power"], 2): "600",
                                             field(ids["hot"]): "10"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "digits only" in html  # the letters in the cold-water field
    assert "far beyond what a flat uses" in html  # the electricity's day zone
    assert "below the previous one (53, February 2026)" in html  # the hot water
    assert html.count('class="invalid-feedback"') == 3
    assert 'value="abc"' in html and 'value="99999999"' in html and 'value="10"' in html
    assert readings(demo) == before


def test_a_good_meter_beside_a_bad_one_is_not_saved_alone(demo, ids, client):
    before = readings(demo)
    r = client.post("/cabinet/meters", data={field(ids["cold"]): "abc",
                                             field(ids["hot"]): "55"})
    assert r.status_code == 400
    assert "Nothing was saved yet" in r.get_data(as_text=True)
    assert readings(demo) == before


# --- 12: far-out readings go to the accountant even when confirmed ------------------------------

def test_absurd_gas_reading_is_flagged_even_when_confirmed(demo, ids, client):
    client.post("/lang/ru")
    before = readings(demo)
    r = client.post("/cabinet/meters", data={field(ids["gas2"]): "99999999"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "во много раз больше, чем расходует квартира" in html
    assert "бухгалтер проверит показание" in html and "data-confirm" in html
    assert readings(demo) == before
    r = client.post("/cabinet/meters", data={field(ids["gas2"]): "99999999",
                                             f"m{ids['gas2']}_confirm": "y"},
                    follow_redirects=True)
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Показание счётчика GAS-2 во много раз больше обычного расхода" in html
    assert "бухгалтер проверит его, прежде чем включить в квитанцию" in html
    with demo.app_context():
        meter = Meter.get_by_id(ids["gas2"])
        reading = Reading.counting_for_period([meter], date(2026, 3, 1))[meter.id]
    assert reading.t1 == Decimal("99999999") and reading.status == "flagged"
    assert reading.reason == FAR_REASON
    assert "его проверит бухгалтер" in html  # the meter's card says so too


def test_large_but_plausible_reading_is_accepted_when_confirmed(demo, ids, client):
    # 15 m³ a month so far; 120 m³ of gas is large (above 80) but not far out (800)
    r = client.post("/cabinet/meters", data={field(ids["gas2"]): "235",
                                             f"m{ids['gas2']}_confirm": "y"})
    assert r.status_code == 302
    with demo.app_context():
        meter = Meter.get_by_id(ids["gas2"])
        reading = Reading.counting_for_period([meter], date(2026, 3, 1))[meter.id]
    assert reading.status == "accepted" and reading.reason != FAR_REASON


def test_accountant_entry_is_not_flagged(demo, office, client):
    with demo.app_context():
        clear_meters()
        gas = make_meter(kind="gas", serial="GAS-9")
        monthly(gas, date(2026, 1, 1), [100, 115])
    demo.config["TODAY"] = TODAY
    r = client.post(f"/office/{office.id}/readings/meter/{gas.id}",
                    data={"period": "2026-03", field(gas.id): "99999999"})
    assert r.status_code == 302, r.get_data(as_text=True)
    with demo.app_context():
        reading = Reading.counting_for_period([gas], date(2026, 3, 1))[gas.id]
    assert reading.status == "accepted"


# --- 17: a window across the month's end ---------------------------------------------------------

@pytest.mark.parametrize("day, expected", [
    # (the month readings count for, open, days left incl. today, opening day)
    (date(2026, 3, 24), (date(2026, 3, 1), False, 0, date(2026, 3, 25))),
    (date(2026, 3, 25), (date(2026, 3, 1), True, 12, date(2026, 3, 25))),
    (date(2026, 3, 31), (date(2026, 3, 1), True, 6, date(2026, 3, 25))),
    (date(2026, 4, 3), (date(2026, 3, 1), True, 3, date(2026, 3, 25))),
    (date(2026, 4, 5), (date(2026, 3, 1), True, 1, date(2026, 3, 25))),
    (date(2026, 4, 6), (date(2026, 4, 1), False, 0, date(2026, 4, 25))),
    (date(2026, 12, 28), (date(2026, 12, 1), True, 9, date(2026, 12, 25))),
    (date(2027, 1, 5), (date(2026, 12, 1), True, 1, date(2026, 12, 25))),
    (date(2026, 2, 26), (date(2026, 2, 1), True, 8, date(2026, 2, 25))),
])
def test_window_across_the_months_end(day, expected):
    hoa = Hoa(name="ТСЖ", window_start_day=25, window_end_day=5)
    assert (hoa.readings_period(day), *hoa.window_state(day)) == expected


def test_reading_of_early_april_counts_for_march(demo, ids, client):
    set_window(demo, 25, 5)
    demo.config["TODAY"] = date(2026, 4, 3)
    html = client.get("/cabinet/meters").get_data(as_text=True)
    assert 'data-window="open"' in html
    assert "Readings for March 2026 are accepted until 05.04.2026. 3 days left." in html
    home = client.get("/cabinet").get_data(as_text=True)
    assert 'data-window="open"' in home and "3 days left" in home
    r = client.post("/cabinet/meters", data={field(ids["cold"]): "112"})
    assert r.status_code == 302
    with demo.app_context():
        reading = Reading.select().where(Reading.meter == ids["cold"]) \
            .order_by(Reading.id.desc()).get()
    assert reading.period == date(2026, 3, 1)
    html = client.get("/cabinet/meters").get_data(as_text=True)
    assert "Saved for this month" in html


def test_office_opens_on_the_month_whose_window_is_open(demo, office, client):
    set_window(demo, 25, 5)
    demo.config["TODAY"] = date(2026, 4, 3)
    html = client.get(f"/office/{office.id}/readings").get_data(as_text=True)
    assert 'value="2026-03"' in html


def test_settings_take_a_window_into_the_next_month(demo, office, client):
    from test_office import SETTINGS
    r = client.post(f"/office/{office.id}/settings",
                    data=dict(SETTINGS, window_start_day="25", window_end_day="5"))
    assert r.status_code == 302
    with demo.app_context():
        hoa = Hoa.get_by_id(office.id)
        assert (hoa.window_start_day, hoa.window_end_day) == (25, 5)
    client.post("/lang/ru")
    html = client.get(f"/office/{office.id}/settings").get_data(as_text=True)
    assert "засчитываются за месяц, в котором приём начался" in html


def test_reminder_in_early_april_is_about_march(demo, logged_in, runner, outbox):
    set_window(demo, 25, 5)
    with demo.app_context():
        clear_meters()
        meter = make_meter(serial="CW-1")
    before = len(outbox.messages())
    result = runner.invoke(args=["remind", "--today", "2026-04-04"])
    assert result.exit_code == 0, result.output
    assert len(outbox.messages()) == before + 1
    assert "05.04.2026" in outbox.text(outbox.messages()[-1])
    with demo.app_context():
        sent = ReminderSent.get()
        assert (sent.kind, sent.period) == ("window_closing", date(2026, 3, 1))
        ReminderSent.delete().execute()
        add_reading(meter, date(2026, 3, 1), 10, submitted_at=datetime(2026, 3, 27, 9, 0))
    result = runner.invoke(args=["remind", "--today", "2026-04-04"])
    assert len(outbox.messages()) == before + 1  # March's reading is in: nothing to remind


# --- 18: one "today" for every page ----------------------------------------------------------

def test_pinned_today_is_the_same_on_the_home_and_meters_pages(demo, ids, client):
    set_window(demo, 15, 25)
    demo.config["TODAY"] = date(2026, 3, 20)
    home = client.get("/cabinet").get_data(as_text=True)
    meters = client.get("/cabinet/meters").get_data(as_text=True)
    assert 'data-window="open"' in home and "6 days left" in home
    assert 'data-window="open"' in meters and "accepted until 25.03.2026. 6 days left." in meters
    demo.config["TODAY"] = date(2026, 3, 26)
    home = client.get("/cabinet").get_data(as_text=True)
    meters = client.get("/cabinet/meters").get_data(as_text=True)
    assert 'data-window="closed"' in home and "15.04.2026" in home
    assert 'data-window="closed"' in meters and "15.04.2026" in meters

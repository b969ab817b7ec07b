"""A resident on a 360×740 phone: enter readings, meet the lower-value rule, see the chart."""
from datetime import date

import pytest

from factories import browser_log_in, make_resident
from factories_meters import TODAY, clear_meters, make_meter, monthly
from meter_models import Reading


@pytest.fixture
def phone(live_server, page):
    import demo
    app = live_server.app
    app.config["TODAY"] = TODAY
    with app.app_context():
        demo.load(echo=lambda *a: None)
        make_resident("100001", "phone-pass-1", email="anna@example.ru")
        clear_meters()
        cold = make_meter(serial="CW-1", place="кухня")
        monthly(cold, date(2025, 3, 1), [100 + 6 * i for i in range(12)])  # up to 166 in Feb
        power = make_meter(kind="electricity", zones=2, serial="EL-1")
        monthly(power, date(2026, 1, 1), [(1000, 500), (1150, 560)])
    page.set_viewport_size({"width": 360, "height": 740})
    browser_log_in(page, live_server.url, "100001", "phone-pass-1")
    return {"cold": cold.id, "power": power.id, "app": app}


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_phone_enters_readings_and_sees_history(phone, page, live_server):
    page.goto(live_server.url + "/cabinet/meters")
    assert "Показания за март 2026 принимаются до 31.03.2026" in page.inner_text("[data-window]")
    no_sideways_scroll(page)

    cold, power = phone["cold"], phone["power"]
    page.fill(f"#m{cold}_t1", "150")  # below February's 166
    page.fill(f"#m{power}_t1", "1290,5")
    page.fill(f"#m{power}_t2", "612")
    page.click("button:has-text('Передать показания')")
    feedback = page.locator(f"[data-meter='{cold}'] .invalid-feedback")
    assert "Показание меньше предыдущего (166, февраль 2026)" in feedback.inner_text()
    assert page.input_value(f"#m{power}_t1") == "1290,5"  # what was typed is kept
    no_sideways_scroll(page)
    with phone["app"].app_context():
        assert not Reading.select().where(Reading.period == date(2026, 3, 1)).exists()

    page.check(f"#m{cold}_replaced")
    page.click("button:has-text('Передать показания')")
    assert "Сохранено 2 показания" in page.inner_text(".alert-success")
    assert "его проверит бухгалтер" in page.inner_text(f"[data-meter='{cold}'] [data-current]")
    with phone["app"].app_context():
        saved = {r.meter_id: r for r in Reading.select()
                 .where(Reading.period == date(2026, 3, 1))}
    assert saved[cold].status == "flagged" and saved[power].status == "accepted"

    page.click(f"[data-meter='{cold}'] a:has-text('История и график')")
    chart = page.locator("[data-chart] svg")
    box = chart.bounding_box()
    assert box["width"] <= 360 and box["height"] > 100
    assert page.locator("[data-chart] rect").count() == 11  # Apr 2025 – Feb 2026; March unknown
    assert "счётчик заменён" in page.inner_text("[data-history]")
    no_sideways_scroll(page)

"""The readings window across month ends and short months, on the model and on the page."""
from datetime import date

import pytest
from flask_babel import force_locale

from factories_meters import clear_meters, make_meter
from meters import window_text
from models import Hoa


def hoa_with(start, end):
    return Hoa(name="ТСЖ", window_start_day=start, window_end_day=end)


@pytest.mark.parametrize("start, end, day, expected", [
    # (open, days left incl. today, the day it opens)
    (15, 25, date(2026, 3, 15), (True, 11, date(2026, 3, 15))),
    (15, 25, date(2026, 3, 25), (True, 1, date(2026, 3, 15))),
    (15, 25, date(2026, 3, 14), (False, 0, date(2026, 3, 15))),
    (15, 25, date(2026, 3, 26), (False, 0, date(2026, 4, 15))),
    (15, 25, date(2026, 12, 31), (False, 0, date(2027, 1, 15))),
    # days 29-31 shrink to the 28th in February 2026 and to the 29th in February 2028
    (29, 31, date(2026, 2, 28), (True, 1, date(2026, 2, 28))),
    (29, 31, date(2026, 2, 27), (False, 0, date(2026, 2, 28))),
    (29, 31, date(2028, 2, 29), (True, 1, date(2028, 2, 29))),
    (29, 31, date(2028, 2, 28), (False, 0, date(2028, 2, 29))),
    (29, 31, date(2026, 4, 30), (True, 1, date(2026, 4, 29))),
    (29, 31, date(2026, 1, 31), (True, 1, date(2026, 1, 29))),
    (30, 31, date(2026, 3, 1), (False, 0, date(2026, 3, 30))),
    # after the window at the end of January, it opens again in (short) February
    (1, 5, date(2026, 1, 31), (False, 0, date(2026, 2, 1))),
    (31, 31, date(2026, 1, 31), (True, 1, date(2026, 1, 31))),
    (31, 31, date(2026, 2, 1), (False, 0, date(2026, 2, 28))),
    (1, 31, date(2026, 2, 1), (True, 28, date(2026, 2, 1))),
])
def test_window_state(start, end, day, expected):
    assert hoa_with(start, end).window_state(day) == expected


def test_window_text(app):
    with app.test_request_context(), force_locale("en"):
        assert "until 28.02.2026" in window_text(hoa_with(29, 31), date(2026, 2, 28))
        assert "1 day left" in window_text(hoa_with(29, 31), date(2026, 2, 28))
        assert "opens on 28.02.2026" in window_text(hoa_with(29, 31), date(2026, 2, 27))
        assert "opens on 01.02.2026" in window_text(hoa_with(1, 5), date(2026, 1, 31))
    with app.test_request_context(), force_locale("ru"):
        assert window_text(hoa_with(29, 31), date(2026, 2, 28)) == \
            "Показания за февраль 2026 принимаются до 28.02.2026. Остался 1 день."


@pytest.mark.parametrize("day, is_open, text", [
    (date(2026, 2, 28), True, "until 28.02.2026"),
    (date(2026, 2, 27), False, "opens on 28.02.2026"),
    (date(2026, 3, 1), False, "opens on 29.03.2026"),
])
def test_page_in_february(demo, logged_in, client, day, is_open, text):
    client.post("/lang/en")
    demo.config["TODAY"] = day
    with demo.app_context():
        Hoa.update(window_start_day=29, window_end_day=31).where(Hoa.prefixes == "10").execute()
        clear_meters()
        meter = make_meter()
    html = client.get("/cabinet/meters").get_data(as_text=True)
    assert f'data-window="{"open" if is_open else "closed"}"' in html
    assert text in html
    assert (f'name="m{meter.id}_t1"' in html) is is_open
    r = client.post("/cabinet/meters", data={f"m{meter.id}_t1": "12"})
    assert r.status_code == (302 if is_open else 400)

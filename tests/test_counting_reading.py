"""Every place that shows a month's reading shows the same one: the latest sent, not the latest id."""
from datetime import date, datetime
from decimal import Decimal

from factories_meters import TODAY, add_reading, clear_meters, make_meter
from cabinet import readings_sent
from meters import meter_row
from meter_models import Reading
from models import Account, Hoa
from office_readings import export_rows, month_rows
from readings import history
from reminders import missing_readings
from ledger import meter_readings

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


def test_every_place_takes_the_latest_sent_reading_of_the_month(demo):
    with demo.test_request_context():
        clear_meters()
        meter = make_meter(serial="CW-1")
        add_reading(meter, date(2026, 2, 1), 100)
        # the counting one: sent last (its id is not the highest)
        latest = add_reading(meter, MARCH, 112, submitted_at=datetime(2026, 3, 20, 19, 0))
        earlier = add_reading(meter, MARCH, 110, submitted_at=datetime(2026, 3, 10, 9, 0))
        add_reading(meter, MARCH, 999, status="declined",
                    submitted_at=datetime(2026, 3, 25, 8, 0))
        assert earlier.id > latest.id
        account = Account.get(Account.number == "100001")
        hoa = Hoa.get(Hoa.prefixes == "10")

        seen = {
            "meters page": meter_row(meter, TODAY, MARCH)["current"],
            "counting for the month": Reading.counting_for_meter(meter.id, MARCH),
            "last before April": meter.last_reading(before=APRIL),
            "history": history(meter)[-1][0],
            "statement and receipt": meter_readings(account, MARCH)[0],
            "office list": dict(month_rows(hoa, MARCH))[meter],
            "export": next(export_rows(hoa, MARCH)),
        }
        assert seen["meters page"].t1 == Decimal("112")
        assert seen["statement and receipt"][1][0] == Decimal("112")
        assert seen["statement and receipt"][2] == latest.submitted_at
        assert seen["export"][1][0] == Decimal("112")
        for place in ("meters page", "counting for the month", "last before April", "history",
                      "office list"):
            assert seen[place].id == latest.id, place
        assert meter_row(meter, TODAY, MARCH)["declined"].t1 == Decimal("999")
        assert missing_readings([meter], MARCH) == []  # reminders: the month has its reading
        home = readings_sent(account, TODAY)  # the cabinet's card: when it was sent
        assert (home["period"], home["sent"], home["latest"]) == (MARCH, 1, latest.submitted_at)

"""The demo hook: a year of plausible readings for the demo meters."""
from datetime import date

from factories_meters import TODAY, clear_meters, make_meter
from meter_models import Meter, Reading
from readings import history, seed_demo_readings


def test_demo_meters_get_a_year_of_readings(demo, client):
    with demo.app_context():
        clear_meters()
        cold = make_meter(serial="CW-1")
        power = make_meter(kind="electricity", zones=2, serial="EL-1")
        heat = make_meter(kind="heat", serial="HT-1")
        expired = make_meter(kind="gas", serial="GAS-1", verified_until=date(2025, 10, 1))
        archived = make_meter(serial="OLD", archived=True)
        assert seed_demo_readings(day=date(2026, 3, 20)) > 0
        for meter in (cold, power, heat):
            rows = history(Meter.get_by_id(meter.id))
            assert len(rows) >= 12
            assert rows[-1][0].period == date(2026, 2, 1)  # up to last month: March is open
            assert all(used is not None and all(u > 0 for u in used) for _r, used, _g in rows[1:])
        assert all(r.t2 > 0 for r in Reading.select().where(Reading.meter == power))
        assert max(r.period for r in expired.readings) < date(2025, 10, 1)
        assert not archived.readings.exists()
        count = Reading.select().count()
        assert seed_demo_readings(day=date(2026, 3, 20)) == 0  # meters with readings are kept
        assert Reading.select().count() == count


def test_demo_command_gives_the_demo_meters_a_year(app, runner):
    app.config["TODAY"] = TODAY
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Demo readings:" in result.output
    with app.app_context():
        meters = list(Meter.select().where(Meter.archived == False))  # noqa: E712
        assert {m.kind for m in meters} >= {"cold_water", "hot_water", "electricity"}
        assert any(m.zones == 2 for m in meters)
        for meter in meters:
            if not meter.verification_expired(TODAY):
                assert len(history(meter)) >= 12, meter.serial
                assert history(meter)[-1][0].period == date(2026, 2, 1)

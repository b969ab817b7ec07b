"""Times are shown on the HOA's clock: a reading sent at 18:18 UTC reads 22:18 in Samara."""
from datetime import date, datetime, timezone

from testdb import make_app
from factories_meters import add_reading, clear_meters, make_meter
from formats import format_time
from models import Accountant, AccountantHoa, AuditEvent, Hoa, ImportLog, Resident, db


def stored(hour, minute, second=0):
    """How the server keeps a moment of 20 March 2026 given in UTC: its own local time."""
    moment = datetime(2026, 3, 20, hour, minute, second, tzinfo=timezone.utc)
    return moment.astimezone().replace(tzinfo=None)


def test_format_time_converts_to_the_zone():
    assert format_time(stored(18, 18), "Europe/Samara") == "20.03.2026 22:18"
    assert format_time(stored(18, 18), "Europe/Moscow") == "20.03.2026 21:18"
    assert format_time(stored(18, 18), "Asia/Vladivostok") == "21.03.2026 04:18"
    assert format_time(stored(18, 18, 5), "Europe/Samara", "%H:%M:%S") == "22:18:05"
    assert format_time(stored(18, 18), "Nowhere/Atlantis") == "20.03.2026 21:18"  # Moscow
    assert format_time(None, "Europe/Samara") == ""


def test_every_page_shows_the_hoas_time(demo, logged_in, client):
    demo.config["TODAY"] = date(2026, 3, 20)
    resident_client, client = client, demo.test_client()
    with demo.app_context():
        office = Hoa.get(Hoa.prefixes == "10")
        accountant = Accountant(email="buh@rassvet.example", name="Анна Викторовна")
        accountant.set_password("office-pass-1")
        accountant.save()
        AccountantHoa.create(accountant=accountant, hoa=office)
        Hoa.update(time_zone="Europe/Samara").where(Hoa.id == office.id).execute()
        clear_meters()
        meter = make_meter(serial="CW-7")
        add_reading(meter, date(2026, 3, 1), 12, submitted_at=stored(18, 18), source="resident")
        Resident.update(created_at=stored(18, 20), activated_at=stored(18, 21)).execute()
        AuditEvent.delete().execute()
        AuditEvent.record("settings_changed", "127.0.0.1", hoa=office, detail="")
        AuditEvent.update(at=stored(18, 18, 5)).execute()
        ImportLog.create(hoa=office, filename="charges.csv", sha256="0" * 64,
                         created_at=stored(18, 30))
    assert client.post("/office/login", data={"email": "buh@rassvet.example",
                                              "password": "office-pass-1"}).status_code == 302
    # the login's own event carries today's clock, which may well read "21:18" too
    with demo.app_context():
        AuditEvent.delete().where(AuditEvent.event == "office_login").execute()
    html = resident_client.get(f"/cabinet/meters/{meter.id}").get_data(as_text=True)
    assert "20.03.2026 22:18" in html and "21:18" not in html
    pages = {
        f"/office/{office.id}/readings?period=2026-03": "20.03.2026 22:18",
        f"/office/{office.id}/readings/meter/{meter.id}?period=2026-03": "20.03.2026 22:18",
        f"/office/{office.id}/audit": "20.03.2026 22:18:05",
        f"/office/{office.id}/registrations": "20.03.2026 22:20",
        f"/office/{office.id}/import": "20.03.2026 22:30",
    }
    for url, expected in pages.items():
        html = client.get(url).get_data(as_text=True)
        assert expected in html, url
        assert "21:18" not in html and "18:18" not in html.replace("22:18:05", ""), url


def test_time_zone_is_a_setting_moscow_by_default(demo, office, client):
    from test_office import SETTINGS
    client.post("/lang/ru")
    html = client.get(f"/office/{office.id}/settings").get_data(as_text=True)
    assert "Часовой пояс" in html
    assert '<option selected value="Europe/Moscow">Москва (МСК)</option>' in html
    r = client.post(f"/office/{office.id}/settings", data=dict(SETTINGS, time_zone="Europe/Samara"))
    assert r.status_code == 302
    with demo.app_context():
        assert Hoa.get_by_id(office.id).time_zone == "Europe/Samara"
        before = Hoa.select().where(Hoa.id == office.id).dicts().get()
    r = client.post(f"/office/{office.id}/settings", data=dict(SETTINGS, time_zone="Mars/Olympus"))
    assert r.status_code == 400
    with demo.app_context():
        assert Hoa.select().where(Hoa.id == office.id).dicts().get() == before


def test_upgrade_adds_the_time_zone_keeping_every_hoa(tmp_path):
    import migrate
    app = make_app(tmp_path)
    with app.app_context():
        Hoa.create(name="ТСЖ «Восход»", prefixes="30")
        names = [h.name for h in Hoa.select().order_by(Hoa.id)]
        db.execute_sql("ALTER TABLE hoa DROP COLUMN time_zone")
        migrate.set_version(2)
    db.close()
    app = make_app(tmp_path)  # starting the app upgrades
    with app.app_context():
        assert migrate.current_version() == migrate.LATEST
        assert [(h.name, h.time_zone) for h in Hoa.select().order_by(Hoa.id)] == \
            [(name, "Europe/Moscow") for name in names]
        migrate.to_3_meters(None)  # a second run changes nothing

"""The security log: an accountant sees their own HOA's events only; the operator's CLI sees all."""
import json
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from audit_events import EVENT_LABELS, setting_label
from factories_meters import TODAY, add_reading, clear_meters, make_meter
from meter_models import Reading
from models import AuditEvent, Hoa, Resident


def other_hoa(app):
    with app.app_context():
        return Hoa.get(Hoa.prefixes == "20")


def test_log_shows_this_hoas_events(office, client, demo, resident):
    resident.register(account="100002", email="petrova@example.ru")
    resident.login(account="100002", password="wrong")
    with demo.app_context():
        AuditEvent.record("login_failed", "203.0.113.9", hoa=other_hoa(demo),
                          account_number="200001")
    r = client.get(f"/office/{office.id}/audit")
    assert r.status_code == 200, r.headers
    page = r.get_data(as_text=True)
    assert 'data-event="register"' in page, page[page.find("<tbody"):]
    assert "petrova@example.ru" in page
    assert 'data-event="login_failed"' in page
    assert 'data-event="office_login"' in page and "buh@rassvet.example" in page
    assert "Неудачный вход жильца" in page and "Регистрация лицевого счёта" in page
    assert "200001" not in page and "203.0.113.9" not in page


def test_log_of_another_hoa_is_404(office, client, demo):
    assert client.get(f"/office/{other_hoa(demo).id}/audit").status_code == 404


def test_log_needs_an_accountant(demo, logged_in, client):
    r = client.get("/office/1/audit")
    assert r.status_code == 302 and "/office/login" in r.headers["Location"]


def test_log_is_paginated(office, client, demo):
    already = client.get(f"/office/{office.id}/audit").get_data(as_text=True).count("<tr data-event=")
    assert 0 < already < 50  # the demo's loads and this office login
    with demo.app_context():
        for i in range(120):
            AuditEvent.record("login_failed", "198.51.100.1", hoa=office,
                              account_number=str(100000 + i), at=datetime(2026, 1, 1, 10, 0, i % 60))
    first = client.get(f"/office/{office.id}/audit").get_data(as_text=True)
    assert first.count('<tr data-event=') == 50
    last = client.get(f"/office/{office.id}/audit?page=3").get_data(as_text=True)
    assert last.count("<tr data-event=") == already + 120 - 100
    assert client.get(f"/office/{office.id}/audit?page=999").status_code == 200
    assert client.get(f"/office/{office.id}/audit?page=abc").status_code == 200


def test_log_escapes_what_people_typed(office, client, demo):
    with demo.app_context():
        AuditEvent.record("office_login_failed", "1.2.3.4", hoa=office,
                          detail="<script>alert(1)</script>@x.ru")
    page = client.get(f"/office/{office.id}/audit").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_menu_links_to_the_log(office, client):
    page = client.get(f"/office/{office.id}").get_data(as_text=True)
    assert f'href="/office/{office.id}/audit"' in page


def test_cli_prints_all_or_one_hoa(demo, runner, office):
    with demo.app_context():
        AuditEvent.record("login", "10.0.0.1", hoa=office, account_number="100001",
                          at=datetime(2026, 3, 1, 9, 0))
        AuditEvent.record("login", "10.0.0.2", hoa=other_hoa(demo), account_number="200001",
                          at=datetime(2026, 3, 2, 9, 0))
        AuditEvent.record("login", "10.0.0.3", hoa=office, account_number="100003",
                          at=datetime(2025, 1, 1, 9, 0))
    out = runner.invoke(args=["audit"]).output
    assert "100001" in out and "200001" in out and "100003" in out
    out = runner.invoke(args=["audit", "--hoa", str(other_hoa(demo).id)]).output
    assert "200001" in out and "100001" not in out
    out = runner.invoke(args=["audit", "--since", "2026-01-01", "--limit", "100"]).output
    assert "100003" not in out and "100001" in out
    lines = runner.invoke(args=["audit", "--limit", "2"]).output.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].split("\t")[1] == "office_login"  # newest first


# --- every event in words, as it was then ----------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
RECORDED = re.compile(r'AuditEvent\.record\(\s*"(\w+)"( \+)?')


def recorded_kinds():
    """Every event kind the code records; "reading_" + status stands for each decision."""
    kinds = set()
    for path in ROOT.glob("*.py"):
        for name, joined in RECORDED.findall(path.read_text(encoding="utf-8")):
            kinds |= {name + d for d in ("accepted", "declined")} if joined else {name}
    return kinds


def test_every_recorded_kind_has_a_russian_label():
    kinds = recorded_kinds()
    assert {"import", "readings_exported", "register_taken_over", "reading_accepted"} <= kinds
    assert not kinds - set(EVENT_LABELS), kinds - set(EVENT_LABELS)


def rows(page):
    """The log's rows as {event: [cells of each row]} (text of each cell)."""
    found = {}
    for event, body in re.findall(r'<tr data-event="(\w+)">(.*?)</tr>', page, re.S):
        cells = [" ".join(re.sub(r"<[^>]+>", "", c).split())
                 for c in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)]
        found.setdefault(event, []).append(cells)
    return found


def test_log_keeps_the_email_used_then(office, client, demo, resident):
    resident.register_and_activate("100002", "first@example.ru")
    with demo.app_context():
        Resident.update(email="later@example.ru").where(Resident.email == "first@example.ru") \
            .execute()
        AuditEvent.update(email="").where(AuditEvent.event == "activate").execute()  # an old one
    found = rows(client.get(f"/office/{office.id}/audit").get_data(as_text=True))
    assert found["register"][0][3] == "first@example.ru"
    assert found["activate"][0][3] == "later@example.ru"  # kept nothing: the current one


def test_log_details_are_russian_words(office, client, demo):
    with demo.app_context():
        AuditEvent.record("reading_accepted", "1.2.3.4", hoa=office, account_number="100001",
                          detail="meter 007134624 2026-12")  # as written before
        AuditEvent.record("readings_exported", "1.2.3.4", hoa=office,
                          detail="readings-1-2026-12.csv")
        AuditEvent.record("import", "1.2.3.4", hoa=office, detail=json.dumps(
            {"files": ["nach.csv", "opl.csv"], "accounts": 0,
             "charges": {"2026-11": 21}, "payments": {"2026-11": 2, "2026-12": 1}, "meters": 5},
            ensure_ascii=False))
        AuditEvent.record("email_changed", "1.2.3.4", hoa=office, detail="a@x.ru -> b@x.ru")
    page = client.get(f"/office/{office.id}/audit").get_data(as_text=True)
    found = rows(page)
    assert found["reading_accepted"][0][1] == "Бухгалтер принял показание счётчика"
    assert found["reading_accepted"][0][5] == "Счётчик № 007134624, показание за декабрь 2026"
    assert found["readings_exported"][0][1] == "Выгружены данные"
    assert found["readings_exported"][0][5] == "Файл readings-1-2026-12.csv"
    assert found["import"][-1][5] == \
        "файлы: accounts.csv (лицевые счета); лицевые счета: 40 строк"  # the demo's own load
    assert found["import"][0][5] == (
        "файлы: nach.csv, opl.csv; начисления: ноябрь 2026 — 21 строка; "
        "платежи: ноябрь 2026 — 2 строки, декабрь 2026 — 1 строка; счётчики: 5 строк")
    assert found["email_changed"][0][5] == "с a@x.ru на b@x.ru"
    assert '{"' not in page and "meter 007134624" not in page
    assert "reading_accepted</td>" not in page and ">import<" not in page


def test_a_decision_on_a_reading_keeps_the_values(office, client, demo):
    demo.config["TODAY"] = TODAY
    with demo.app_context():
        clear_meters()
        power = make_meter(number="100002", kind="electricity", zones=2, serial="E-77")
        flagged = add_reading(power, date(2026, 3, 1), "1200.5", "600.25", status="flagged")
    client.post(f"/office/{office.id}/readings/{flagged.id}/status",
                data={"decision": "declined", "reason": "Фото не совпадает"})
    with demo.app_context():
        Reading.update(t1=Decimal("1")).where(Reading.id == flagged.id).execute()
    found = rows(client.get(f"/office/{office.id}/audit").get_data(as_text=True))
    assert found["reading_declined"][0][5] == ("Электроэнергия, счётчик № E-77, показание за "
                                               "март 2026; 1200,5 / 600,25 кВт·ч; "
                                               "причина: Фото не совпадает")


def test_failed_office_logins_of_this_hoas_accountants(office, client, demo):
    stranger = demo.test_client()
    assert stranger.post("/office/login", data={"email": "Buh@Rassvet.example",
                                                "password": "guess"}).status_code == 401
    assert stranger.post("/office/login", data={"email": "nobody@example.ru",
                                                "password": "guess"}).status_code == 401
    page = client.get(f"/office/{office.id}/audit").get_data(as_text=True)
    found = rows(page)
    assert [row[3] for row in found["office_login_failed"]] == ["Buh@Rassvet.example"]
    assert found["office_login_failed"][0][1] == "Неудачный вход бухгалтера"
    assert "nobody@example.ru" not in page
    lines = runner_output(demo, "audit")
    assert any(line.endswith("\tnobody@example.ru\t127.0.0.1\tНеудачный вход бухгалтера: "
                             "Бухгалтера с таким адресом нет.") for line in lines), lines


def runner_output(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_cli_says_what_happened_in_russian(office, demo):
    with demo.app_context():
        AuditEvent.record("email_changed", "1.2.3.4", hoa=office, account_number="100001",
                          detail="a@x.ru -> b@x.ru")
    newest = runner_output(demo, "audit", "--limit", "1")[0].split("\t")
    assert newest[1] == "email_changed"
    assert newest[6] == "Изменён e-mail жильца: с a@x.ru на b@x.ru"


def test_log_says_which_settings_changed_from_what_to_what(office, client, demo):
    from test_office import SETTINGS
    changed = dict(SETTINGS, pay_by_day="15", phone="+7 846 200-00-00", address="",
                   registration_check="email", inn="7707083893")
    assert client.post(f"/office/{office.id}/settings", data=changed).status_code == 302
    assert client.post(f"/office/{office.id}/settings", data=changed).status_code == 302
    found = rows(client.get(f"/office/{office.id}/audit").get_data(as_text=True))
    assert len(found["settings_changed"]) == 1  # saving the same values again changes nothing
    detail = found["settings_changed"][0][5]
    for part in ["ИНН: «6312345675» → «7707083893»", "Оплатить до (день месяца): «10» → «15»",
                 "Адрес: «г. Самара, ул. Солнечная, д. 12» → пусто",
                 "Телефон: «+7 (846) 200-00-01» → «+7 846 200-00-00»",
                 "Проверка при регистрации: «Код регистрации из квитанции» → «E-mail, загруженный "
                 "бухгалтером»"]:
        assert part in detail, detail
    assert "registration_check" not in detail and '{"' not in detail
    lines = runner_output(demo, "audit")
    assert any("ИНН: «6312345675» → «7707083893»" in line for line in lines)


def test_every_setting_of_the_form_has_the_name_the_log_gives_it(demo):
    from forms import HoaSettingsForm
    from hoa_settings import LABELS
    with demo.test_request_context():
        form = HoaSettingsForm(meta={"csrf": False})
        assert {field.name for field in form} == set(LABELS)
        for field in form:
            assert field.label.text == str(LABELS[field.name]) == setting_label(field.name)
        assert setting_label("time_zone") == "Часовой пояс"

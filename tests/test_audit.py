"""The security log: an accountant sees their own HOA's events only; the operator's CLI sees all."""
from datetime import datetime

from models import AuditEvent, Hoa


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

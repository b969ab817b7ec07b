from models import AuditEvent, Hoa


def test_accountant_sees_own_hoa_only(office, client, demo):
    assert client.get(f"/office/{office.id}").status_code == 200
    with demo.app_context():
        other = Hoa.get(Hoa.prefixes == "20")
    assert client.get(f"/office/{other.id}").status_code == 404


def test_office_login_wrong_password(demo, client):
    r = client.post("/office/login", data={"email": "nobody@example.ru", "password": "x"})
    assert r.status_code == 401
    assert "Неверный e-mail или пароль" in r.get_data(as_text=True)
    r = client.post("/office/login", data={"email": "office@rassvet.example",
                                           "password": "not-the-password"})
    assert r.status_code == 401
    assert "Неверный e-mail или пароль" in r.get_data(as_text=True)
    r = client.get("/office")  # still not logged in
    assert r.status_code == 302 and "/office/login" in r.headers["Location"]
    with demo.app_context():
        failed = AuditEvent.select().where(AuditEvent.event == "office_login_failed")
        assert sorted(event.email for event in failed) == ["nobody@example.ru",
                                                           "office@rassvet.example"]
        assert not AuditEvent.select().where(AuditEvent.event == "office_login").exists()

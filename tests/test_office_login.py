from models import Hoa


def test_accountant_sees_own_hoa_only(office, client, demo):
    assert client.get(f"/office/{office.id}").status_code == 200
    with demo.app_context():
        other = Hoa.get(Hoa.prefixes == "20")
    assert client.get(f"/office/{other.id}").status_code == 404


def test_office_login_wrong_password(demo, client):
    r = client.post("/office/login", data={"email": "nobody@example.ru", "password": "x"})
    assert r.status_code == 401

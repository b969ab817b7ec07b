"""The pages a visitor sees when a request goes wrong: 400, 413, 500, and the registration race's
503. Each is in Russian, in the site's layout, and leaves the data as it was."""
import io

from flask import request
from peewee import PostgresqlDatabase

from testdb import make_app
from models import AuditEvent, Resident, db


def body(response):
    return response.get_data(as_text=True)


def server_app(tmp_path):
    """An app as on a server (no TESTING: errors become pages, not exceptions in the test)."""
    app = make_app(tmp_path, "demo", TESTING=False)

    def broken():
        raise RuntimeError("a bug")

    def reads_a_missing_field():
        return request.form["absent"]
    app.add_url_rule("/test/broken", view_func=broken)
    app.add_url_rule("/test/form", view_func=reads_a_missing_field, methods=["POST"])
    return app


def test_a_request_the_server_cannot_understand_is_the_russian_400_page(tmp_path):
    r = server_app(tmp_path).test_client().post("/test/form", data={"other": "1"})
    assert r.status_code == 400
    page = body(r)
    assert "Запрос не принят" in page and "Не удалось разобрать запрос" in page
    assert 'href="/"' in page and "absent" not in page


def test_an_error_in_the_server_is_the_russian_500_page(tmp_path):
    r = server_app(tmp_path).test_client().get("/test/broken")
    assert r.status_code == 500
    page = body(r)
    assert "Что-то пошло не так" in page and "support@domkom.local" in page
    assert "RuntimeError" not in page and "Traceback" not in page


def test_an_upload_over_the_request_limit_is_the_russian_413_page(office, client, demo, snapshot):
    demo.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    before = snapshot()
    content = b"\xd0\x9b\xd0\xb8\xd1\x86\xd0\xb5\xd0\xb2\xd0\xbe\xd0\xb9;" * 10000  # 130 KB
    r = client.post(f"/office/{office.id}/import",
                    data={"files": [(io.BytesIO(content), "big.csv")]},
                    content_type="multipart/form-data")
    assert r.status_code == 413
    page = body(r)
    assert "Слишком большой файл" in page and "Ничего не сохранено" in page
    assert snapshot() == before
    assert client.get(f"/office/{office.id}/import").status_code == 200  # and the office goes on


def refuse_every_registration():
    """As if another request had registered the number a moment earlier and then been rolled
    back: the database refuses the insert as a duplicate, and no login is there afterwards."""
    if isinstance(db.obj, PostgresqlDatabase):
        db.execute_sql("CREATE FUNCTION taken() RETURNS trigger AS $$ BEGIN "
                       "RAISE unique_violation USING MESSAGE = 'resident_account_id'; "
                       "END $$ LANGUAGE plpgsql")
        db.execute_sql("CREATE TRIGGER taken BEFORE INSERT ON resident "
                       "FOR EACH ROW EXECUTE FUNCTION taken()")
    else:
        db.execute_sql("CREATE TRIGGER taken BEFORE INSERT ON resident BEGIN "
                       "SELECT RAISE(ABORT, 'UNIQUE constraint failed: resident.account_id'); END")


def test_a_registration_that_lost_a_race_to_a_rolled_back_one_asks_to_try_again(
        demo, resident, outbox, snapshot):
    with demo.app_context():
        refuse_every_registration()
    before = snapshot()
    r = resident.register()
    assert r.status_code == 503
    page = body(r)
    assert 'data-outcome="mail_failed"' in page
    assert "регистрация не сохранена. Попробуйте через несколько минут" in page
    assert snapshot() == before and outbox.messages() == []
    with demo.app_context():
        assert Resident.select().count() == 0
        assert not AuditEvent.select().where(AuditEvent.event == "register").exists()

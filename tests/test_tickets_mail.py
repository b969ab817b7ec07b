"""The letters of requests over a real SMTP server on 127.0.0.1: the HOA's address hears of a
new and a reopened request, the resident of every reply and change of status, with links."""
import io

import demo as demo_data
from helpers import Outbox
from testdb import make_app
from factories import make_resident
from images import photo_with_gps
from models import Accountant, AccountantHoa, Hoa
from tickets.models import Ticket


def test_letters_reach_the_hoa_and_the_resident(tmp_path, smtp_server):
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    with app.app_context():
        demo_data.load(echo=lambda *a: None, files=("accounts.csv",))
        hoa = Hoa.get(Hoa.prefixes == "10")
        Hoa.update(email="board@rassvet.example").where(Hoa.id == hoa.id).execute()
        make_resident("100001", "resident-pass-1", email="anna@example.ru", name="Анна",
                      phone="+7 900 111-22-33")
        accountant = Accountant(email="buh@rassvet.example")
        accountant.set_password("office-pass-1")
        accountant.save()
        AccountantHoa.create(accountant=accountant, hoa=hoa)
    resident, office = app.test_client(), app.test_client()
    resident.post("/login", data={"account": "100001", "password": "resident-pass-1"})
    office.post("/office/login", data={"email": "buh@rassvet.example",
                                       "password": "office-pass-1"})

    r = resident.post("/cabinet/requests/new", content_type="multipart/form-data", data={
        "category": "лифт", "text": "Лифт во 2-м подъезде стоит между этажами",
        "urgent": "y", "files": [(io.BytesIO(photo_with_gps()), "lift.jpg")]})
    assert r.status_code == 302
    with app.app_context():
        ticket = Ticket.get()
    (to_hoa,) = smtp_server.messages
    assert smtp_server.envelopes[0].rcpt_tos == ["board@rassvet.example"]
    text = Outbox.text(to_hoa)
    assert "Лифт во 2-м подъезде стоит между этажами" in text and "Аварийная заявка" in text
    assert "+7 900 111-22-33" in text
    assert f"http://localhost/office/{hoa.id}/requests/{ticket.id}" in text
    assert b"Phone X" not in smtp_server.envelopes[0].content

    base = f"/office/{hoa.id}/requests/{ticket.id}"
    office.post(base + "/status", data={"status-status": "in_progress"})
    office.post(base + "/reply", data={"reply-text": "Мастер выехал, будет через 20 минут"})
    office.post(base + "/note", data={"note-text": "звонили в лифтовую"})
    office.post(base + "/status", data={"status-status": "done"})
    letters = smtp_server.messages[1:]
    assert [e.rcpt_tos for e in smtp_server.envelopes[1:]] == [["anna@example.ru"]] * 3
    texts = [Outbox.text(m) for m in letters]
    assert "«В работе»" in texts[0] and "Мастер выехал, будет через 20 минут" in texts[1]
    assert "«Выполнена»" in texts[2]
    assert all(f"http://localhost/cabinet/requests/{ticket.id}" in t for t in texts)
    assert not any("звонили в лифтовую" in t for t in texts)  # the note stays in the office
    assert "Мастер выехал" in letters[1].get_body(preferencelist=("html",)).get_content()

    resident.post(f"/cabinet/requests/{ticket.id}/reopen", data={"reopen-text": "Опять встал"})
    assert smtp_server.envelopes[-1].rcpt_tos == ["board@rassvet.example"]
    assert "открыл заявку" in Outbox.text(smtp_server.messages[-1])
    assert len(smtp_server.messages) == 5
    # the resident's letters about requests carry the one-click unsubscribe, and stop after it
    assert "/unsubscribe/" in letters[0]["List-Unsubscribe"]
    assert letters[0]["List-Unsubscribe-Post"].strip() == "List-Unsubscribe=One-Click"
    link = letters[0]["List-Unsubscribe"].strip().strip("<>")
    assert app.test_client().post(link.replace("http://localhost", "")).status_code == 200
    office.post(base + "/reply", data={"reply-text": "Лифт снова работает"})
    assert len(smtp_server.messages) == 5

"""A Cyrillic subject reaches the reader with every space, over SMTP and in the outbox."""
import pytest

from testdb import make_app
from mail import send_email

# a space falls where the encoded subject is folded: Python's SMTP policy folding it once more
# put it between two encoded words, where readers drop it («Вработе»)
SUBJECTS = ["Domkom: ваша заявка № 1 — «В работе»",
            "Domkom: новая заявка № 12, лицевой счёт 100001, и ещё много слов для длины строки"]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_a_long_cyrillic_subject_keeps_its_spaces_over_smtp(tmp_path, smtp_server, subject):
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    with app.test_request_context():
        send_email("anna@example.ru", subject, "operator_request", number="100001",
                   email="anna@example.ru", phone="", text="x")
    assert smtp_server.messages[-1]["Subject"] == subject


@pytest.mark.parametrize("subject", SUBJECTS)
def test_a_long_cyrillic_subject_keeps_its_spaces_in_the_outbox(app, outbox, subject):
    with app.test_request_context():
        send_email("anna@example.ru", subject, "operator_request", number="100001",
                   email="anna@example.ru", phone="", text="x")
    assert outbox.last()["Subject"] == subject

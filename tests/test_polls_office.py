"""The office's polls: create, edit before the first answer, close, delete, the list with its
counts, the results page's chart and the CSV; every change in the security log."""
import csv
import io
from datetime import date

import pytest

from factories import login_as
from factories_polls import TODAY, form_data, make_poll, options_of
from models import AuditEvent
from polls.models import Poll, PollAnswer, PollOption


@pytest.fixture
def hoa(office, demo):
    demo.config["TODAY"] = TODAY
    return office


def audit_events(app, prefix="poll_"):
    with app.app_context():
        return [e.event for e in AuditEvent.select().where(AuditEvent.event.startswith(prefix))
                .order_by(AuditEvent.id)]


def answer(app, number, poll, text):
    """The resident of `number` answers through the cabinet."""
    resident = app.test_client()
    with app.app_context():
        login_as(resident, number)
        option = options_of(Poll.get_by_id(poll.id))[text]
    response = resident.post(f"/cabinet/polls/{poll.id}", data={"option": str(option)})
    assert response.status_code == 302
    return resident


def test_accountant_creates_a_poll_and_finds_it_in_the_list(hoa, client, demo):
    page = client.get(f"/office/{hoa.id}/polls").get_data(as_text=True)
    assert "Опросов пока нет" in page and f'href="/office/{hoa.id}/polls"' in page  # the menu
    response = client.post(f"/office/{hoa.id}/polls/new", data=form_data(
        options=["Зелёный", "", "Бежевый", "  "], weighting="area",
        results_while_open="y"))
    assert response.status_code == 302
    with demo.app_context():
        poll = Poll.get()
        assert (poll.question, poll.weighting, poll.opens_on, poll.closes_on) == (
            "Красим подъезды в зелёный или в бежевый?", "area", date(2026, 3, 1),
            date(2026, 3, 20))
        assert poll.results_while_open and poll.hoa_id == hoa.id
        assert [o.text for o in poll.ordered_options()] == ["Зелёный", "Бежевый"]
    assert response.headers["Location"] == f"/office/{hoa.id}/polls/{poll.id}"
    listing = client.get(f"/office/{hoa.id}/polls").get_data(as_text=True)
    assert "Красим подъезды" in listing and "с 01.03.2026 по 20.03.2026" in listing
    assert "0 из 40" in listing and "Открыт" in listing
    assert audit_events(demo) == ["poll_created"]
    log = client.get(f"/office/{hoa.id}/audit").get_data(as_text=True)
    assert "Создан опрос" in log and "«Красим подъезды в зелёный или в бежевый?»" in log


@pytest.mark.parametrize("change, message", [
    ({"question": ""}, "Введите вопрос."),
    ({"options": ["Только один"]}, "Впишите хотя бы два варианта ответа."),
    ({"options": ["Да", "да "]}, "Два варианта совпадают"),
    ({"options": ["Да", "x" * 201]}, "не длиннее 200 символов"),
    ({"opens_on": ""}, "Укажите первый день опроса."),
    ({"closes_on": "2026-02-01"}, "Последний день не может быть раньше первого."),
    ({"closes_on": "2126-02-01"}, "Укажите дату с 1990 по 2099 год."),
    ({"weighting": "votes"}, "Неверный вариант."),
])
def test_bad_poll_forms_are_refused_with_a_message(hoa, client, demo, snapshot, change,
                                                   message):
    before = snapshot()
    response = client.post(f"/office/{hoa.id}/polls/new", data=form_data(**change))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page, page
    assert snapshot() == before


def test_more_than_ten_options_are_not_taken(hoa, client, demo):
    data = form_data(options=[f"Вариант {i}" for i in range(12)])
    assert client.post(f"/office/{hoa.id}/polls/new", data=data).status_code == 302
    with demo.app_context():
        assert PollOption.select().count() == 10


def test_a_poll_is_edited_until_its_first_answer(hoa, client, demo):
    with demo.app_context():
        poll = make_poll(hoa, options=("Да", "Нет", "Всё равно"))
    form = client.get(f"/office/{hoa.id}/polls/{poll.id}/edit").get_data(as_text=True)
    assert 'value="Всё равно"' in form and "Ставить ли шлагбаум" in form
    response = client.post(f"/office/{hoa.id}/polls/{poll.id}/edit", data=form_data(
        question="Ставить ли шлагбаум у въезда?", options=["Да", "Нет"], closes_on=""))
    assert response.status_code == 302
    with demo.app_context():
        poll = Poll.get_by_id(poll.id)
        assert poll.question == "Ставить ли шлагбаум у въезда?" and poll.closes_on is None
        assert [o.text for o in poll.ordered_options()] == ["Да", "Нет"]
    answer(demo, "100002", poll, "Да")
    refused = client.post(f"/office/{hoa.id}/polls/{poll.id}/edit",
                          data=form_data(question="Другой вопрос"), follow_redirects=True)
    assert "В опросе уже есть ответы: изменить его нельзя." in refused.get_data(as_text=True)
    assert client.get(f"/office/{hoa.id}/polls/{poll.id}/edit").status_code == 302
    with demo.app_context():
        assert Poll.get_by_id(poll.id).question == "Ставить ли шлагбаум у въезда?"
        assert PollAnswer.select().count() == 1
    assert audit_events(demo) == ["poll_changed", "poll_answered"]


def test_closing_by_hand_and_deleting_are_logged(hoa, client, demo):
    with demo.app_context():
        poll = make_poll(hoa)
    answer(demo, "100003", poll, "Нет")
    page = client.get(f"/office/{hoa.id}/polls/{poll.id}").get_data(as_text=True)
    assert "Закрыть опрос сейчас" in page
    response = client.post(f"/office/{hoa.id}/polls/{poll.id}/close", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Опрос закрыт" in page and 'data-state="closed"' in page
    assert "Закрыть опрос сейчас" not in page
    again = client.post(f"/office/{hoa.id}/polls/{poll.id}/close", follow_redirects=True)
    assert "Опрос уже закрыт." in again.get_data(as_text=True)
    confirm = client.get(f"/office/{hoa.id}/polls/{poll.id}/delete").get_data(as_text=True)
    assert "Вместе с ним удаляется 1 ответ" in confirm
    with demo.app_context():
        assert Poll.select().count() == 1  # the GET deleted nothing
    response = client.post(f"/office/{hoa.id}/polls/{poll.id}/delete")
    assert response.headers["Location"] == f"/office/{hoa.id}/polls"
    with demo.app_context():
        assert not Poll.select().exists() and not PollAnswer.select().exists()
        assert not PollOption.select().exists()
    assert audit_events(demo) == ["poll_answered", "poll_closed", "poll_deleted"]
    log = client.get(f"/office/{hoa.id}/audit").get_data(as_text=True)
    assert "Опрос удалён" in log and "Опрос закрыт бухгалтером" in log
    assert "«Ставить ли шлагбаум во дворе?»; ответ «Нет»" in log


def test_results_page_and_csv(hoa, client, demo):
    with demo.app_context():
        poll = make_poll(hoa, question="=HYPERLINK(\"x\")", options=("Да", "-Нет", "Не знаю"))
    for number, text in (("100001", "Да"), ("100002", "Да"), ("100003", "-Нет")):
        answer(demo, number, poll, text)
    page = client.get(f"/office/{hoa.id}/polls/{poll.id}").get_data(as_text=True)
    assert "Ответили лицевых счетов: 3 из 40 (7,5 %)" in page
    assert page.count("<svg") == 3 and 'class="chart-t1" width="66.7"' in page
    assert 'width="33.3"' in page and 'class="chart-t1" width="0.0"' in page
    assert " style=" not in page and "<script>" not in page.split("</footer>")[0]
    listing = client.get(f"/office/{hoa.id}/polls").get_data(as_text=True)
    assert "3 из 40" in listing
    response = client.get(f"/office/{hoa.id}/polls/{poll.id}/results.csv")
    assert response.mimetype == "text/csv"
    assert f"poll-{poll.id}-results.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))
    assert rows[0] == ["Вопрос", "'=HYPERLINK(\"x\")"]
    assert rows[3] == ["Вариант", "Лицевых счетов", "Площадь, м²", "Доля, %"]
    assert [row[0] for row in rows[4:7]] == ["Да", "'-Нет", "Не знаю"]
    assert [row[1] for row in rows[4:8]] == ["2", "1", "0", "3"]
    assert [row[3] for row in rows[4:7]] == ["66,7", "33,3", "0,0"]
    assert [row[:3] for row in rows[10:]] == [["100001", "1", "Да"], ["100002", "2", "Да"],
                                              ["100003", "3", "'-Нет"]]
    assert audit_events(demo, "readings_exported")  # the download is in the log

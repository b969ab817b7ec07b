"""Requests end to end through the test client: a resident files, writes, reopens and rates;
the office filters, answers, notes, changes status, assigns and deletes; every step audited."""
import io
import re
from datetime import date, timedelta

import pytest

from factories import login_as
from images import minimal_pdf, photo_with_gps
from models import AuditEvent, Hoa, Resident, now
from storedfiles import StoredFile
from tickets.models import Ticket, TicketEvent, TicketSettings

TODAY = date(2026, 3, 10)


@pytest.fixture
def people(demo, office):
    """`client` is the demo HOA's accountant; returns (hoa, resident client of 100001)."""
    demo.config["TODAY"] = TODAY
    with demo.app_context():
        Hoa.update(email="board@rassvet.example").where(Hoa.id == office.id).execute()
    resident_client = demo.test_client()
    with demo.app_context():
        login_as(resident_client, "100001")
    return office, resident_client


def file_request(client, text="Течёт кран на кухне", category="сантехника", urgent=False,
                 files=()):
    data = {"category": category, "text": text,
            "files": [(io.BytesIO(body), name) for name, body in files]}
    if urgent:
        data["urgent"] = "y"
    return client.post("/cabinet/requests/new", data=data, content_type="multipart/form-data")


def latest_ticket(app):
    with app.app_context():
        return Ticket.select().order_by(Ticket.id.desc()).first()


def events(app, name):
    with app.app_context():
        return list(AuditEvent.select().where(AuditEvent.event == name))


def test_resident_files_a_request_and_the_office_handles_it(people, client, demo, outbox):
    hoa, resident = people
    page = resident.get("/cabinet/requests/new").get_data(as_text=True)
    for category in ("сантехника", "электрика", "лифт", "уборка и территория", "отопление",
                     "домофон", "другое"):
        assert f">{category}</option>" in page
    r = file_request(resident, urgent=True, files=[("кухня.jpg", photo_with_gps()),
                                                  ("акт.pdf", minimal_pdf())])
    assert r.status_code == 302
    ticket = latest_ticket(demo)
    assert ticket.urgent and ticket.status == "new" and ticket.deadline == TODAY + timedelta(1)
    assert ticket.contact_email == "r100001@example.ru"
    with demo.app_context():
        assert len(list(ticket.attachments())) == 2
    letter = outbox.last()
    assert letter["To"] == "board@rassvet.example" and f"№ {ticket.id}" in letter["Subject"]
    assert "АВАРИЙНАЯ" in letter["Subject"] and "Течёт кран на кухне" in outbox.text(letter)
    assert f"/office/{hoa.id}/requests/{ticket.id}" in outbox.text(letter)
    assert len(events(demo, "ticket_filed")) == 1

    mine = resident.get("/cabinet/requests").get_data(as_text=True)
    assert f'data-ticket="{ticket.id}"' in mine and "Новая" in mine

    # the office: listed, counted, opened
    listing = client.get(f"/office/{hoa.id}/requests").get_data(as_text=True)
    assert f'data-ticket="{ticket.id}"' in listing and "Аварийная" in listing
    home = client.get(f"/office/{hoa.id}").get_data(as_text=True)
    assert 'data-card="tickets"' in home

    url = f"/office/{hoa.id}/requests/{ticket.id}"
    sent = len(outbox.messages())
    r = client.post(url + "/status", data={"status-status": "in_progress"})
    assert r.status_code == 302
    assert len(outbox.messages()) == sent + 1
    # the status is checked in the text: Python 3.11's header folding drops a space between
    # two encoded words of a Cyrillic subject («Вработе»), a fault of the mail library
    assert f"№ {ticket.id}" in outbox.last()["Subject"]
    assert "«В работе»" in outbox.text(outbox.last())
    assert outbox.last()["To"] == "r100001@example.ru"
    r = client.post(url + "/reply", data={"reply-text": "Сантехник придёт завтра с 10 до 12"})
    assert r.status_code == 302
    reply_letter = outbox.last()
    assert "Сантехник придёт завтра" in outbox.text(reply_letter)
    assert f"/cabinet/requests/{ticket.id}" in outbox.text(reply_letter)
    client.post(url + "/note", data={"note-text": "ключи от подвала у старшего по дому"})
    client.post(url + "/assign", data={"assign-responsible": "сантехник Петров, +7 900 1",
                                       "assign-deadline": "2026-03-12"})
    assert len(outbox.messages()) == sent + 2  # a note and an assignment write to no one

    # the resident sees the reply and the status, never the note nor the assignment
    page = resident.get(f"/cabinet/requests/{ticket.id}").get_data(as_text=True)
    assert "Сантехник придёт завтра с 10 до 12" in page and "В работе" in page
    assert "ключи от подвала" not in page and "Петров" not in page
    office_page = client.get(url).get_data(as_text=True)
    assert "ключи от подвала" in office_page and "сантехник Петров" in office_page

    r = resident.post(f"/cabinet/requests/{ticket.id}/message",
                      data={"message-text": "Спасибо, буду дома"})
    assert r.status_code == 302
    client.post(url + "/status", data={"status-status": "done"})
    assert "«Выполнена»" in outbox.text(outbox.last())

    # rate once; a second mark is refused
    page = resident.get(f"/cabinet/requests/{ticket.id}").get_data(as_text=True)
    assert "data-rating-form" in page and "data-reopen-form" in page
    assert resident.post(f"/cabinet/requests/{ticket.id}/rate",
                         data={"rating-rating": "4", "rating-comment": "долго ждали"}
                         ).status_code == 302
    resident.post(f"/cabinet/requests/{ticket.id}/rate", data={"rating-rating": "1"})
    assert latest_ticket(demo).rating == 4
    assert "4 из 5" in client.get(url).get_data(as_text=True)

    # reopen within 14 days: the HOA is told, the deadline starts again
    sent = len(outbox.messages())
    r = resident.post(f"/cabinet/requests/{ticket.id}/reopen",
                      data={"reopen-text": "Снова капает"})
    assert r.status_code == 302
    assert latest_ticket(demo).status == "new"
    assert len(outbox.messages()) == sent + 1 and "открыл заявку" in outbox.text(outbox.last())

    for name in ("ticket_status", "ticket_reply", "ticket_note", "ticket_assigned",
                 "ticket_message", "ticket_rated", "ticket_reopened"):
        assert events(demo, name), name
    log = client.get(f"/office/{hoa.id}/audit").get_data(as_text=True)
    assert "Заявка подана жильцом" in log and f"Заявка № {ticket.id}" in log
    assert "Новая → В работе" in log


def test_reopen_closes_after_14_days(people, client, demo):
    hoa, resident = people
    file_request(resident)
    ticket = latest_ticket(demo)
    client.post(f"/office/{hoa.id}/requests/{ticket.id}/status", data={"status-status": "done"})
    with demo.app_context():
        Ticket.update(done_at=now() - timedelta(days=14, minutes=1)).execute()
    page = resident.get(f"/cabinet/requests/{ticket.id}").get_data(as_text=True)
    assert "data-reopen-form" not in page
    r = resident.post(f"/cabinet/requests/{ticket.id}/reopen", data={}, follow_redirects=True)
    assert "в течение 14 дней" in r.get_data(as_text=True)
    assert latest_ticket(demo).status == "done"


def test_declined_with_a_reason_and_deferred_until_a_day(people, client, demo, outbox):
    hoa, resident = people
    file_request(resident, text="Покрасить мой балкон")
    ticket = latest_ticket(demo)
    url = f"/office/{hoa.id}/requests/{ticket.id}"
    r = client.post(url + "/status", data={"status-status": "declined"})
    assert r.status_code == 400
    assert "Напишите, почему заявка отклонена" in r.get_data(as_text=True)
    assert latest_ticket(demo).status == "new"
    r = client.post(url + "/status", data={"status-status": "deferred"})
    assert "Выберите день" in r.get_data(as_text=True)
    r = client.post(url + "/status", data={"status-status": "deferred",
                                           "status-until": "2026-03-01"})
    assert "после сегодняшнего" in r.get_data(as_text=True)
    assert client.post(url + "/status", data={"status-status": "deferred",
                                              "status-until": "2026-04-20"}).status_code == 302
    t = latest_ticket(demo)
    assert t.status == "deferred" and t.deadline == date(2026, 4, 20)
    assert "20.04.2026" in outbox.text(outbox.last())
    client.post(url + "/status", data={"status-status": "declined",
                                       "status-reason": "Балкон — имущество собственника"})
    page = resident.get(f"/cabinet/requests/{ticket.id}").get_data(as_text=True)
    assert "Балкон — имущество собственника" in page and "Отклонена" in page
    assert "Балкон — имущество собственника" in outbox.text(outbox.last())


def test_office_filters_counts_and_overdue(people, client, demo):
    hoa, resident = people
    file_request(resident, text="Лампа в подъезде", category="электрика")
    file_request(resident, text="Прорвало трубу", category="сантехника", urgent=True)
    file_request(resident, text="Мусор у контейнеров", category="уборка и территория")
    with demo.app_context():
        ids = [t.id for t in Ticket.select().order_by(Ticket.id)]
        Ticket.update(deadline=TODAY - timedelta(days=2)).where(Ticket.id == ids[1]).execute()
    client.post(f"/office/{hoa.id}/requests/{ids[2]}/status", data={"status-status": "done"})

    def listed(**args):
        page = client.get(f"/office/{hoa.id}/requests", query_string=args)
        assert page.status_code == 200
        return {int(i) for i in re.findall(r'data-ticket="(\d+)"', page.get_data(as_text=True))}

    assert listed() == set(ids)
    assert listed(status="open") == set(ids[:2])
    assert listed(status="done") == {ids[2]}
    assert listed(category="электрика") == {ids[0]}
    assert listed(urgent="1") == {ids[1]}
    assert listed(overdue="1") == {ids[1]}
    assert listed(q="ТРУБУ") == {ids[1]}  # case does not matter, in Cyrillic too
    assert listed(q="100001") == set(ids)  # the account number is searched too
    assert listed(q="%") == set()  # a LIKE wildcard is a character like any other
    assert listed(status="nonsense", category="<b>", page="999") == set(ids)
    page = client.get(f"/office/{hoa.id}/requests").get_data(as_text=True)
    assert 'data-count="overdue">Просрочены: 1' in page or "Просрочены: 1" in page
    assert "data-overdue" in page
    home = client.get(f"/office/{hoa.id}").get_data(as_text=True)
    assert "1 просрочена" in home


def test_the_list_is_paginated(people, client, demo):
    hoa, resident = people
    with demo.app_context():
        resident_row = Resident.get()
        for i in range(55):
            Ticket.create(hoa=hoa.id, account=resident_row.account, resident=resident_row,
                          category="другое", text=f"заявка {i}", deadline=TODAY)
    first = client.get(f"/office/{hoa.id}/requests?status=open").get_data(as_text=True)
    assert first.count('<tr data-ticket=') == 50 and "status=open" in first
    second = client.get(f"/office/{hoa.id}/requests?status=open&page=2").get_data(as_text=True)
    assert second.count('<tr data-ticket=') == 5
    mine = resident.get("/cabinet/requests?page=3").get_data(as_text=True)
    assert mine.count('class="list-group-item" data-ticket=') == 15


def test_the_home_page_counts_the_residents_open_requests(people, client, demo):
    hoa, resident = people
    assert "Сообщите о протечке" in resident.get("/cabinet").get_data(as_text=True)
    with demo.app_context():
        resident_row = Resident.get()
        for status in ("new", "in_progress", "deferred", "done", "declined"):
            Ticket.create(hoa=hoa.id, account=resident_row.account, resident=resident_row,
                          category="другое", text=status, deadline=TODAY, status=status)
    card = resident.get("/cabinet").get_data(as_text=True).split('data-card="tickets"')[1]
    assert "Открыто 3 заявки." in card.split("</div></div>")[0]
    with demo.app_context():
        Ticket.update(status="done").where(Ticket.status != "done").execute()
    card = resident.get("/cabinet").get_data(as_text=True).split('data-card="tickets"')[1]
    assert "Открыто 0 заявок." in card.split("</div></div>")[0]
    assert "Мои заявки" in card.split("</div></div>")[0]


def test_bad_input_leaves_everything_as_it_was(people, client, demo, snapshot):
    hoa, resident = people
    before = snapshot()
    for data in ({"category": "", "text": "x"}, {"category": "сантехника", "text": " "},
                 {"category": "чужая", "text": "x"},
                 {"category": "сантехника", "text": "x" * 4001}):
        r = resident.post("/cabinet/requests/new", data=data)
        assert r.status_code == 400
    r = file_request(resident, files=[(f"{i}.jpg", photo_with_gps()) for i in range(6)])
    assert r.status_code == 400 and "не больше 5 файлов" in r.get_data(as_text=True)
    assert snapshot() == before
    file_request(resident)
    ticket = latest_ticket(demo)
    before = snapshot()
    url = f"/office/{hoa.id}/requests/{ticket.id}"
    assert client.post(url + "/reply", data={"reply-text": "  "}).status_code == 400
    assert client.post(url + "/note", data={}).status_code == 400
    assert client.post(url + "/status", data={"status-status": "lost"}).status_code == 400
    r = client.post(url + "/assign", data={"assign-deadline": "2126-01-01"})
    assert r.status_code == 400 and "в пределах года" in r.get_data(as_text=True)
    assert client.post(url + "/assign", data={"assign-deadline": "завтра"}).status_code == 400
    r = client.post(url + "/delete", data={})
    assert r.status_code == 400 and "Поставьте галочку" in r.get_data(as_text=True)
    assert resident.post(f"/cabinet/requests/{ticket.id}/rate",
                         data={"rating-rating": "4"}).status_code == 302  # not done: refused
    assert resident.post(f"/cabinet/requests/{ticket.id}/message",
                         data={"message-text": ""}).status_code == 400
    assert snapshot() == before


def test_office_deletes_a_request_with_its_files(people, client, demo):
    hoa, resident = people
    file_request(resident, files=[("a.jpg", photo_with_gps()), ("b.pdf", minimal_pdf())])
    ticket = latest_ticket(demo)
    with demo.app_context():
        assert StoredFile.select().count() == 2
    r = client.post(f"/office/{hoa.id}/requests/{ticket.id}/delete", data={"delete-confirm": "y"})
    assert r.status_code == 302
    with demo.app_context():
        assert Ticket.select().count() == 0 and TicketEvent.select().count() == 0
        assert StoredFile.select().count() == 0
    (deleted,) = events(demo, "ticket_deleted")
    assert f'"ticket": {ticket.id}' in deleted.detail
    assert resident.get(f"/cabinet/requests/{ticket.id}").status_code == 404


def test_request_settings_change_categories_deadlines_and_address(people, client, demo,
                                                                   outbox):
    hoa, resident = people
    url = f"/office/{hoa.id}/requests/settings"
    page = client.get(url).get_data(as_text=True)
    assert "домофон" in page
    r = client.post(url, data={"categories": "вода\nВода", "urgent_days": "1",
                               "normal_days": "7"})
    assert r.status_code == 400 and "указана дважды" in r.get_data(as_text=True)
    r = client.post(url, data={"categories": "вода", "urgent_days": "0", "normal_days": "7",
                               "email": "not an address"})
    assert r.status_code == 400
    with demo.app_context():
        assert TicketSettings.select().count() == 0
    r = client.post(url, data={"categories": "вода\n  свет  \n\nлифт", "urgent_days": "2",
                               "normal_days": "10", "email": "disp@rassvet.example"})
    assert r.status_code == 302
    page = resident.get("/cabinet/requests/new").get_data(as_text=True)
    assert ">свет</option>" in page and ">домофон</option>" not in page
    file_request(resident, category="свет")
    assert latest_ticket(demo).deadline == TODAY + timedelta(days=10)
    file_request(resident, category="лифт", urgent=True)
    assert latest_ticket(demo).deadline == TODAY + timedelta(days=2)
    assert outbox.last()["To"] == "disp@rassvet.example"
    (changed,) = events(demo, "ticket_settings_changed")
    log = client.get(f"/office/{hoa.id}/audit").get_data(as_text=True)
    assert "Настройки заявок изменены" in log and "10" in changed.detail


def test_a_released_login_leaves_its_requests_to_the_office(people, client, demo, outbox):
    hoa, resident = people
    file_request(resident, text="Не работает домофон", category="домофон")
    ticket = latest_ticket(demo)
    with demo.app_context():
        Resident.get().release()
        assert latest_ticket(demo).resident is None
    sent = len(outbox.messages())
    url = f"/office/{hoa.id}/requests/{ticket.id}"
    assert "Не работает домофон" in client.get(url).get_data(as_text=True)
    assert client.post(url + "/reply", data={"reply-text": "Починили"}).status_code == 302
    assert len(outbox.messages()) == sent  # no one to write to
    # whoever registers the flat next does not see the earlier resident's requests
    newcomer = demo.test_client()
    with demo.app_context():
        login_as(newcomer, "100001", "newcomer-pass-1")
    assert newcomer.get(f"/cabinet/requests/{ticket.id}").status_code == 404


def test_ten_requests_a_day_at_most(people, demo):
    hoa, resident = people
    for i in range(10):
        assert file_request(resident, text=f"заявка {i}").status_code == 302
    r = file_request(resident, text="одиннадцатая", files=[("a.jpg", photo_with_gps())])
    assert r.status_code == 400 and "Вы подали сегодня 10 заявок" in r.get_data(as_text=True)
    with demo.app_context():
        assert Ticket.select().count() == 10 and StoredFile.select().count() == 0

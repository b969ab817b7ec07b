"""The office prepares a meeting: the meeting, its agenda, the register, the notice."""
import io
from datetime import date
from decimal import Decimal as D

import pytest

from formats import format_number
from factories_meetings import make_meeting, small_register
from meetings.models import Meeting, Question, RegisterEntry
from models import Account, AuditEvent, Hoa, Resident, now

MEETING = {"title": "Внеочередное собрание", "kind": "owners", "form": "mixed",
           "initiator": "Правление ТСЖ", "starts_on": "2026-03-10", "ends_on": "2026-03-20",
           "in_person_at": "2026-03-10T19:00", "in_person_place": "холл", "online_counts": "y"}


@pytest.fixture
def today(demo):
    demo.config["TODAY"] = "2026-03-05"
    return demo


def test_office_creates_a_meeting_and_its_agenda(office, client, today):
    r = client.post(f"/office/{office.id}/meetings/new", data=MEETING)
    assert r.status_code == 302
    with today.app_context():
        meeting = Meeting.get()
        assert (meeting.starts_on, meeting.online_counts, meeting.in_person_at.hour) == (
            date(2026, 3, 10), True, 19)
    base = f"/office/{office.id}/meetings/{meeting.id}"
    r = client.post(base + "/questions/new", data={"title": "Смета на 2026 год",
                                                   "majority": "all_half"})
    assert r.status_code == 302
    r = client.post(base + "/questions/new", data={"title": "", "majority": "all_half"})
    assert r.status_code == 400 and "Введите вопрос" in r.get_data(as_text=True)
    r = client.post(base + "/questions/new", data={"title": "x", "majority": "most"})
    assert r.status_code == 400
    with today.app_context():
        assert [q.title for q in Question.select()] == ["Смета на 2026 год"]
    page = client.get(base).get_data(as_text=True)
    assert "Смета на 2026 год" in page and "Более половины всех голосов" in page
    assert "правление ТСЖ остаётся ответственным" in page.lower() or \
        "ответственность за соблюдение" in page.lower()


@pytest.mark.parametrize("change, message", [
    ({"ends_on": "2026-03-01"}, "Голосование не может закончиться раньше"),
    ({"in_person_place": ""}, "нужно место очной части"),
    ({"starts_on": "1900-01-01"}, "1990–2099"),
    ({"title": ""}, "Введите название"),
])
def test_a_wrong_meeting_is_refused_with_a_message(office, client, today, change, message):
    r = client.post(f"/office/{office.id}/meetings/new", data={**MEETING, **change})
    assert r.status_code == 400 and message in r.get_data(as_text=True)
    with today.app_context():
        assert Meeting.select().count() == 0


def test_register_from_accounts_shows_its_total_equal_to_the_rows(office, client, today):
    with today.app_context():
        meeting = make_meeting(office, published=False)
        expected = sum(a.area for a in Account.select().where(Account.hoa == office,
                                                              Account.area > 0))
    base = f"/office/{office.id}/meetings/{meeting.id}/register"
    assert client.post(base + "/build").status_code == 302
    with today.app_context():
        entries = list(RegisterEntry.select())
        assert len(entries) == 40 and sum(e.votes for e in entries) == expected
        assert [e.ballot_number for e in meeting.ordered_entries()] == list(range(1, 41))
        assert all(e.votes == e.area for e in entries)
    page = client.get(base).get_data(as_text=True)
    assert f'<th class="text-end" data-total>{format_number(expected, 2, trim=False)}</th>' in page


def test_shares_of_a_flat_must_make_it_whole(office, client, today, snapshot):
    with today.app_context():
        meeting = make_meeting(office, published=False)
        entries = small_register(meeting)
    url = f"/office/{office.id}/meetings/{meeting.id}/register/{entries['Петров П. П.'].id}"
    form = {"premises": "ул. Солнечная, д. 12, кв. 2", "area": "100", "account": "100002",
            "owners-0-owner": "Петров П. П.", "owners-0-share": "1/2", "owners-0-member": "y",
            "owners-1-owner": "Петрова Е. П.", "owners-1-share": "1/3"}
    before = snapshot()
    r = client.post(url, data=form)
    assert r.status_code == 400
    assert "Доли «ул. Солнечная, д. 12, кв. 2» в сумме составляют 5/6" in r.get_data(as_text=True)
    assert snapshot() == before
    r = client.post(url, data={**form, "owners-1-share": "0,5", "area": "сто"})
    assert r.status_code == 400 and "«сто» — не число" in r.get_data(as_text=True)
    assert snapshot() == before
    page = client.get(url).get_data(as_text=True)
    assert 'value="100,00"' in page and 'value="Петров П. П."' in page
    r = client.post(url, data={**form, "owners-1-share": "0,5", "area": "100,00"})
    assert r.status_code == 302
    with today.app_context():
        flat = {e.owner: e.votes for e in RegisterEntry.select().where(
            RegisterEntry.premises == "ул. Солнечная, д. 12, кв. 2")}
        assert flat == {"Петров П. П.": D("50.00"), "Петрова Е. П.": D("50.00")}
        assert AuditEvent.select().where(AuditEvent.event == "meeting_register_changed").exists()


def test_register_import_reads_shares_and_refuses_a_broken_file(office, client, today,
                                                                snapshot):
    with today.app_context():
        meeting = make_meeting(office, published=False)
    url = f"/office/{office.id}/meetings/{meeting.id}/register/import"
    good = ("Собственник;Помещение;Площадь;Доля;Нежилое;Лицевой счёт\n"
            "Иванов И. И.;кв. 10;61,30;1/2;нет;100001\n"
            "Иванова А. А.;кв. 10;61,30;0,25;;\n"
            "Иванов П. И.;кв. 10;61,30;1/4;;\n"
            "ООО «Аптека»;пом. 2;40;;да;\n")
    bad = good.replace("0,25", "0,3").replace("40", "сорок").encode("cp1251")
    good = good.encode("cp1251")
    before = snapshot()
    r = client.post(url, data={"file": (io.BytesIO(bad), "reestr.csv")})
    text = r.get_data(as_text=True)
    assert r.status_code == 400 and "строка 5" in text and "«сорок» — не число" in text
    assert "Доли «кв. 10» в сумме составляют 21/20" in text
    assert snapshot() == before
    r = client.post(url, data={"file": (io.BytesIO(good), "reestr.csv")})
    assert r.status_code == 302
    with today.app_context():
        rows = {e.owner: (e.votes, e.non_residential, e.account_id is not None)
                for e in RegisterEntry.select()}
    assert rows == {"Иванов И. И.": (D("30.65"), False, True),
                    "Иванова А. А.": (D("15.33"), False, True),  # the flat's account
                    "Иванов П. И.": (D("15.32"), False, True),
                    "ООО «Аптека»": (D("40.00"), True, False)}


def test_publishing_puts_the_notice_on_home_pages_and_mails_owners(office, client, today,
                                                                   outbox):
    with today.app_context():
        meeting = make_meeting(office, published=False)
        small_register(meeting)
        for number in ("100001", "100002"):
            resident = Resident(account=Account.get(Account.number == number),
                                email=f"r{number}@example.ru", activated_at=now())
            resident.set_password("resident-pass-1")
            resident.save()
    before = client.get(f"/office/{office.id}/meetings/{meeting.id}").get_data(as_text=True)
    assert "data-notice-soon" in before and "останется 5 дн." in before
    r = client.post(f"/office/{office.id}/meetings/{meeting.id}/publish")
    assert r.status_code == 302
    page = client.get(f"/office/{office.id}/meetings/{meeting.id}").get_data(as_text=True)
    assert "5 дней до начала голосования" in page  # 5 March → 10 March: too late, said so
    letters = outbox.messages()
    assert sorted(m["To"] for m in letters) == ["r100001@example.ru", "r100002@example.ru"]
    assert "Годовое общее собрание 2026" in outbox.text(letters[0])
    # publishing again sends nothing more
    client.post(f"/office/{office.id}/meetings/{meeting.id}/publish")
    assert len(outbox.messages()) == 2
    home = today.test_client()
    home.post("/login", data={"account": "100001", "password": "resident-pass-1"})
    assert "Годовое общее собрание 2026" in home.get("/cabinet").get_data(as_text=True)


def test_another_hoas_meeting_is_not_found(office, client, today):
    with today.app_context():
        other = make_meeting(Hoa.get(Hoa.prefixes == "20"))
        entry = RegisterEntry.create(meeting=other, owner="Чужой", premises="кв. 1",
                                     area=D("10"), votes=D("10"), ballot_number=1)
    for path in ("", "/edit", "/count", "/register", f"/register/{entry.id}", "/ballots",
                 "/ballots.pdf", "/protocol.pdf", "/decisions.csv"):
        assert client.get(f"/office/{office.id}/meetings/{other.id}{path}").status_code == 404
    assert client.post(f"/office/{office.id}/meetings/{other.id}/publish").status_code == 404
    assert client.get(f"/office/{other.hoa_id}/meetings").status_code == 404


def test_register_import_from_xlsx(office, client, today):
    from openpyxl import Workbook
    with today.app_context():
        meeting = make_meeting(office, published=False)
    book = Workbook()
    sheet = book.active
    sheet.append(["Реестр собственников на 01.03.2026"])  # a title above the header
    sheet.append(["ФИО собственника", "Адрес помещения", "Площадь", "Доля в праве", "Член ТСЖ"])
    sheet.append(["Смирнова О. В.", "кв. 9", 45.5, 1, "нет"])
    sheet.append(["Смирнов В. В.", "кв. 10", 50, 0.5, "да"])
    sheet.append(["Смирнов К. В.", "кв. 10", 50, "1/2", "да"])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    r = client.post(f"/office/{office.id}/meetings/{meeting.id}/register/import",
                    data={"file": (data, "reestr.xlsx")})
    assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
    with today.app_context():
        rows = [(e.ballot_number, e.owner, e.votes, e.member)
                for e in meeting.ordered_entries()]
    assert rows == [(1, "Смирнова О. В.", D("45.50"), False),
                    (2, "Смирнов В. В.", D("25.00"), True),
                    (3, "Смирнов К. В.", D("25.00"), True)]


def test_a_forged_paper_answer_changes_nothing(office, client, today, snapshot):
    with today.app_context():
        meeting = make_meeting(office)
        entry = small_register(meeting)["Петров П. П."]
        question = meeting.ordered_questions().first()
    before = snapshot()
    r = client.post(f"/office/{office.id}/meetings/{meeting.id}/ballots/{entry.id}",
                    data={f"q{question.id}": "maybe"}, follow_redirects=True)
    assert "Отметьте по каждому вопросу" in r.get_data(as_text=True)
    assert snapshot() == before


def test_notice_letters_reach_owners_over_smtp(tmp_path, smtp_server):
    """Over a real SMTP server: each registered owner in the register gets the notice with a
    link to the meeting; an owner not activated and an account not in the register get none."""
    import demo as demo_data
    from helpers import Outbox
    from testdb import make_app
    from factories import make_resident
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port,
                   TODAY="2026-02-20")
    with app.app_context():
        demo_data.load(echo=lambda *a: None, files=("accounts.csv",))
        hoa = Hoa.get(Hoa.prefixes == "10")
        meeting = make_meeting(hoa, published=False)
        small_register(meeting)
        make_resident("100001", email="ivanov@example.ru")
        make_resident("100005", email="outside@example.ru")  # not in the register
        late = make_resident("100003", email="late@example.ru")
        late.activated_at = None
        late.save()
    client = app.test_client()
    client.post("/office/login", data={"email": demo_data.DEMO_ACCOUNTANT,
                                       "password": demo_data.DEMO_ACCOUNTANT_PASSWORD})
    assert client.post(f"/office/{hoa.id}/meetings/{meeting.id}/publish").status_code == 302
    (message,) = smtp_server.messages
    assert message["To"] == "ivanov@example.ru"
    assert message["Subject"] == "ТСЖ «Рассвет»: сообщение о проведении общего собрания"
    text = Outbox.text(message)
    assert "Правление ТСЖ «Рассвет» проводит собрание: Годовое общее собрание 2026." in text
    assert "3. Капитальный ремонт крыши" in text
    assert f"http://localhost/cabinet/meetings/{meeting.id}" in text
    page = client.get(f"/office/{hoa.id}/meetings/{meeting.id}").get_data(as_text=True)
    assert "data-too-late" not in page and "data-notice-soon" not in page  # 18 days ahead


def test_a_members_meeting_writes_to_members_only(office, today):
    from meetings.tasks import notice_recipients
    with today.app_context():
        meeting = make_meeting(office, kind="members", published=False)
        entries = small_register(meeting)
        RegisterEntry.update(member=False).where(
            RegisterEntry.id == entries["Петров П. П."].id).execute()
        for number in ("100001", "100002"):
            Resident.create(account=Account.get(Account.number == number), password_hash="x",
                            email=f"r{number}@example.ru", activated_at=now())
        assert [r.email for r in notice_recipients(meeting)] == ["r100001@example.ru"]
        meeting.kind = "owners"
        assert len(notice_recipients(meeting)) == 2


def test_changing_a_published_meeting_is_in_the_security_log(office, client, today):
    with today.app_context():
        meeting = make_meeting(office, online=False)
    data = {**MEETING, "title": meeting.title, "online_counts": "y"}
    r = client.post(f"/office/{office.id}/meetings/{meeting.id}/edit", data=data)
    assert r.status_code == 302
    with today.app_context():
        event = AuditEvent.get(AuditEvent.event == "meeting_changed")
        assert event.hoa_id == office.id and "online=yes" in event.detail
    log = client.get(f"/office/{office.id}/audit").get_data(as_text=True)
    assert "Изменено объявленное собрание" in log


def test_the_notice_letters_are_written_once_however_often_the_job_runs(office, today, outbox):
    from meetings.tasks import send_notice_letters
    with today.app_context():
        meeting = make_meeting(office)
        small_register(meeting)
        Resident.create(account=Account.get(Account.number == "100002"), password_hash="x",
                        email="r100002@example.ru", activated_at=now())
        assert send_notice_letters.call_local(meeting.id) == 1
        assert send_notice_letters.call_local(meeting.id) == 0  # a retry, or a second job
    assert len(outbox.messages()) == 1


def test_a_draft_meeting_is_deleted_with_its_files_a_published_one_is_not(office, client,
                                                                          today):
    from images import minimal_pdf
    from storedfiles import StoredFile
    with today.app_context():
        draft = make_meeting(office, published=False)
        small_register(draft)
        published = make_meeting(office)
    for meeting in (draft, published):
        client.post(f"/office/{office.id}/meetings/{meeting.id}/materials",
                    data={"title": "Смета", "file": (io.BytesIO(minimal_pdf()), "s.pdf")})
    r = client.post(f"/office/{office.id}/meetings/{published.id}/delete", follow_redirects=True)
    assert "удалить нельзя" in r.get_data(as_text=True)
    assert client.post(f"/office/{office.id}/meetings/{draft.id}/delete").status_code == 302
    with today.app_context():
        assert [m.id for m in Meeting.select()] == [published.id]
        assert StoredFile.select().count() == 1 and RegisterEntry.select().count() == 0

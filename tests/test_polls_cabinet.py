"""The resident's polls: the home page and the polls page, one answer per account that can be
changed while open, results per the poll's setting, hand-worked weighting by area, and every
refusal (another HOA's poll, a closed poll, a tampered option, a missing CSRF token)."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from peewee import IntegrityError

from factories import login_as
from factories_polls import TODAY, make_poll, options_of
from models import Account, AuditEvent, Hoa, db
from polls.models import Poll, PollAnswer
from polls.results import count, percent

D = Decimal


@pytest.fixture
def rassvet(demo):
    demo.config["TODAY"] = TODAY
    with demo.app_context():
        return Hoa.get(Hoa.prefixes == "10")


def resident_of(app, number):
    client = app.test_client()
    with app.app_context():
        login_as(client, number)
    return client


def answers(app):
    with app.app_context():
        return sorted((a.account.number, a.option.text, a.area) for a in PollAnswer.select())


def test_open_poll_on_the_home_page_answered_and_changed(rassvet, demo):
    with demo.app_context():
        poll = make_poll(rassvet, closes_on=date(2026, 3, 20))
        make_poll(rassvet, question="Будущий опрос", opens_on=date(2026, 4, 1))
        make_poll(rassvet, question="Прошлый опрос", closes_on=date(2026, 3, 9))
        ids = options_of(poll)
    client = resident_of(demo, "100001")
    home = client.get("/cabinet").get_data(as_text=True)
    assert "Ставить ли шлагбаум во дворе?" in home and "Ждёт вашего ответа" in home
    assert "Будущий опрос" not in home and "Прошлый опрос" not in home
    assert 'href="/cabinet/polls"' in home  # the menu
    page = client.get(f"/cabinet/polls/{poll.id}").get_data(as_text=True)
    assert "с 01.03.2026 по 20.03.2026" in page
    assert "Итоги появятся здесь, когда опрос закроется." in page and "data-results>" not in page
    response = client.post(f"/cabinet/polls/{poll.id}", data={"option": str(ids["Да"])},
                           follow_redirects=True)
    assert "Ваш ответ сохранён" in response.get_data(as_text=True)
    assert "Ваш ответ: «Да»." in response.get_data(as_text=True)
    assert "Вы ответили" in client.get("/cabinet").get_data(as_text=True)
    client.post(f"/cabinet/polls/{poll.id}", data={"option": str(ids["Нет"])})
    client.post(f"/cabinet/polls/{poll.id}", data={"option": str(ids["Нет"])})  # the same again
    assert answers(demo) == [("100001", "Нет", D("35.40"))]
    with demo.app_context():
        log = [(e.event, e.account_number) for e in AuditEvent.select()
               .where(AuditEvent.event.startswith("poll_")).order_by(AuditEvent.id)]
    assert log == [("poll_answered", "100001"), ("poll_answer_changed", "100001")]
    listing = client.get("/cabinet/polls").get_data(as_text=True)
    assert "Ставить ли шлагбаум" in listing and "Прошлый опрос" in listing
    assert "Будущий опрос" not in listing


def test_results_are_shown_after_closing_or_while_open_if_the_poll_says_so(rassvet, demo):
    with demo.app_context():
        hidden = make_poll(rassvet)
        shown = make_poll(rassvet, question="Открытые итоги", results_while_open=True)
    client = resident_of(demo, "100001")
    assert "data-results>" not in client.get(f"/cabinet/polls/{hidden.id}").get_data(as_text=True)
    page = client.get(f"/cabinet/polls/{shown.id}").get_data(as_text=True)
    assert "Промежуточные итоги" in page and "data-results>" in page
    with demo.app_context():
        Poll.update(closed_at=datetime(2026, 3, 9, 12, 0)).where(Poll.id == hidden.id).execute()
    page = client.get(f"/cabinet/polls/{hidden.id}").get_data(as_text=True)
    assert "data-results>" in page
    assert "Опрос закрыт; от вашего лицевого счёта ответа не было." in page
    assert "data-answer-form" not in page


def test_weighting_by_area_worked_by_hand(rassvet, demo):
    """Areas 54.30, 72.15, 38.55 m² and 0.10 + 0.20 m² (a float would give 0.30000000000000004);
    the other 35 accounts 50.00 m² each: 1750 + 165.30 = 1915.30 m² in the house."""
    with demo.app_context():
        Account.update(area=D("50.00")).where(Account.hoa == rassvet).execute()
        for number, area in (("100001", "54.30"), ("100002", "72.15"), ("100003", "38.55"),
                             ("100004", "0.10"), ("100005", "0.20")):
            Account.update(area=D(area)).where(Account.number == number).execute()
        poll = make_poll(rassvet, weighting="area", options=("Да", "Нет", "Воздержусь"))
        ids = options_of(poll)
    for number, text in (("100001", "Да"), ("100002", "Нет"), ("100003", "Да"),
                         ("100004", "Воздержусь"), ("100005", "Воздержусь")):
        resident_of(demo, number).post(f"/cabinet/polls/{poll.id}",
                                       data={"option": str(ids[text])})
    with demo.app_context():
        results = count(Poll.get_by_id(poll.id))
        Account.update(area=D("99.99")).where(Account.number == "100001").execute()
        later = count(Poll.get_by_id(poll.id))  # a new load of the accounts moves nothing
    assert [(r.option.text, r.accounts, r.area, r.share) for r in results.options] == [
        ("Да", 2, D("92.85"), D("56.2")),  # 92.85 / 165.30 = 56.17…
        ("Нет", 1, D("72.15"), D("43.6")),  # 43.64…
        ("Воздержусь", 2, D("0.30"), D("0.2")),  # 0.18…
    ]
    assert str(results.options[2].area) == "0.30"
    assert (results.accounts, results.area, results.weight) == (5, D("165.30"), D("165.30"))
    assert (results.hoa_accounts, results.hoa_area) == (40, D("1915.30"))
    assert results.turnout == D("8.6")  # 165.30 / 1915.30 = 8.63…
    assert [r.area for r in later.options] == [r.area for r in results.options]
    page = resident_of(demo, "100006").get(f"/cabinet/polls/{poll.id}")
    assert "по площади (м²)" in page.get_data(as_text=True)


def test_percent_rounds_half_up_in_decimal():
    assert percent(D("0.49"), D("4.00")) == D("12.3")  # 12.25: half up, not to even
    assert percent(1, 3) == D("33.3") and percent(2, 3) == D("66.7")
    assert percent(0, 0) == D("0.0")


def test_one_answer_per_account_is_a_database_rule(rassvet, demo):
    with demo.app_context():
        poll = make_poll(rassvet)
        account = Account.by_number("100001")
        option = poll.ordered_options()[0]
        PollAnswer.create(poll=poll, account=account, option=option, area=account.area)
        with pytest.raises(IntegrityError), db.atomic():
            PollAnswer.create(poll=poll, account=account, option=option, area=account.area)
        assert PollAnswer.select().count() == 1


def test_another_hoas_poll_is_not_found(rassvet, demo, snapshot):
    with demo.app_context():
        polet = Hoa.get(Hoa.prefixes == "20")
        foreign = make_poll(polet, question="Чужой опрос")
        upcoming = make_poll(rassvet, question="Будущий", opens_on=date(2026, 4, 1))
        foreign_option = options_of(foreign)["Да"]
    client = resident_of(demo, "100001")
    before = snapshot()
    for poll in (foreign, upcoming):
        assert client.get(f"/cabinet/polls/{poll.id}").status_code == 404
        assert client.post(f"/cabinet/polls/{poll.id}",
                           data={"option": str(foreign_option)}).status_code == 404
    assert "Чужой опрос" not in client.get("/cabinet/polls").get_data(as_text=True)
    assert snapshot() == before


@pytest.mark.parametrize("value, message", [
    ("", "Выберите один из вариантов опроса."),
    ("999999", "Такого варианта нет в опросе"),
    ("abc", "Такого варианта нет в опросе"),
    ("99999999999999999999999", "Такого варианта нет в опросе"),
    ("other", "Такого варианта нет в опросе"),  # another poll's option id
])
def test_a_tampered_option_is_refused(rassvet, demo, snapshot, value, message):
    with demo.app_context():
        poll = make_poll(rassvet)
        other = make_poll(rassvet, question="Другой опрос")
    if value == "other":
        value = str(other.ordered_options()[0].id)
    client = resident_of(demo, "100001")
    before = snapshot()
    response = client.post(f"/cabinet/polls/{poll.id}", data={"option": value})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert snapshot() == before


def test_a_closed_poll_takes_no_answer_and_keeps_the_old_one(rassvet, demo, snapshot):
    with demo.app_context():
        poll = make_poll(rassvet, closes_on=date(2026, 3, 10))
        ids = options_of(poll)
    client = resident_of(demo, "100001")
    client.post(f"/cabinet/polls/{poll.id}", data={"option": str(ids["Да"])})  # its last day
    demo.config["TODAY"] = "2026-03-11"
    before = snapshot()
    response = client.post(f"/cabinet/polls/{poll.id}", data={"option": str(ids["Нет"])},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Опрос закрыт: ответы больше не принимаются. Ваш ответ не сохранён." in page
    assert "Ваш ответ: «Да»." in page and "data-results>" in page
    assert snapshot() == before
    with demo.app_context():  # closed by hand: the same
        Poll.update(closes_on=None, closed_at=datetime(2026, 3, 5, 9, 0)).execute()
    demo.config["TODAY"] = TODAY
    response = client.post(f"/cabinet/polls/{poll.id}", data={"option": str(ids["Нет"])},
                           follow_redirects=True)
    assert "Ваш ответ не сохранён" in response.get_data(as_text=True)
    assert answers(demo) == [("100001", "Да", D("35.40"))]


def test_every_poll_post_needs_the_csrf_token(rassvet, demo, office, client, snapshot):
    with demo.app_context():
        poll = make_poll(rassvet)
        option = options_of(poll)["Да"]
    resident = resident_of(demo, "100001")
    demo.config["WTF_CSRF_ENABLED"] = True  # both are logged in; from now on as in production
    before = snapshot()
    assert resident.post(f"/cabinet/polls/{poll.id}", data={"option": str(option)}
                         ).status_code == 400
    for path in ("new", f"{poll.id}/edit", f"{poll.id}/close", f"{poll.id}/delete"):
        assert client.post(f"/office/{rassvet.id}/polls/{path}",
                           data={"question": "Вопрос", "options-0": "А", "options-1": "Б",
                                 "opens_on": "2026-03-01"}).status_code == 400, path
    assert snapshot() == before
    page = resident.get(f"/cabinet/polls/{poll.id}").get_data(as_text=True)
    assert 'name="csrf_token"' in page  # the form carries it


def test_what_the_office_typed_is_shown_escaped(rassvet, demo, office, client):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    with demo.app_context():
        poll = make_poll(rassvet, question=hostile, options=(hostile, "Нет"),
                         results_while_open=True)
    resident = resident_of(demo, "100001")
    pages = [resident.get(path) for path in ("/cabinet", "/cabinet/polls",
                                             f"/cabinet/polls/{poll.id}")]
    pages += [client.get(f"/office/{rassvet.id}/polls{path}") for path in ("", f"/{poll.id}")]
    for response in pages:
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and "&lt;script&gt;alert(" in page
        assert "<script>alert" not in page and "<img src=x" not in page

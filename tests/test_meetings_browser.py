"""A resident on a 360×740 phone votes online at a meeting, then changes the vote."""
from factories import browser_log_in, make_resident
from factories_meetings import TODAY, make_meeting, small_register
from meetings.models import Vote
from models import Hoa


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_phone_votes_online_and_changes_the_vote(live_server, page):
    import demo
    app = live_server.app
    app.config["TODAY"] = TODAY.isoformat()
    with app.app_context():
        demo.load(echo=lambda *a: None, files=("accounts.csv",))
        meeting = make_meeting(Hoa.get(Hoa.prefixes == "10"))
        small_register(meeting)
        make_resident("100002", "phone-pass-1", email="petrov@example.ru")
    page.set_viewport_size({"width": 360, "height": 740})
    browser_log_in(page, live_server.url, "100002", "phone-pass-1")
    notice = page.locator(f"[data-meeting-notice='{meeting.id}']")
    assert "Годовое общее собрание 2026" in notice.inner_text()
    no_sideways_scroll(page)
    notice.locator("a").click()
    assert "Domkom готовит документы" in page.inner_text("[data-responsibility]")
    no_sideways_scroll(page)
    page.click("[data-vote-link]")
    page.check("[data-question='1'] input[value='for']")
    page.check("[data-question='2'] input[value='against']")
    page.click("button:has-text('Сохранить голос')")
    assert "нет ответа по вопросам: 3" in page.inner_text(".alert-danger")
    assert page.is_checked("[data-question='2'] input[value='against']")  # kept
    page.check("[data-question='3'] input[value='abstain']")
    no_sideways_scroll(page)
    page.click("button:has-text('Сохранить голос')")
    assert "Ваш голос сохранён" in page.inner_text(".alert-success")
    assert "Против" in page.inner_text("[data-own-decisions]")
    page.click("[data-vote-link]")
    assert page.is_checked("[data-question='3'] input[value='abstain']")
    page.check("[data-question='3'] input[value='for']")
    page.click("button:has-text('Сохранить голос')")
    no_sideways_scroll(page)
    with app.app_context():
        decisions = [v.decision for v in Vote.select().order_by(Vote.question)]
    assert decisions == ["for", "against", "for"]


def test_office_enters_a_paper_ballot_with_the_keyboard_only(live_server, page):
    import demo
    app = live_server.app
    app.config["TODAY"] = TODAY.isoformat()
    with app.app_context():
        demo.load(echo=lambda *a: None, files=("accounts.csv",))
        hoa = Hoa.get(Hoa.prefixes == "10")
        meeting = make_meeting(hoa)
        entries = small_register(meeting)
    page.goto(f"{live_server.url}/office/login")
    page.fill("#email", demo.DEMO_ACCOUNTANT)
    page.fill("#password", demo.DEMO_ACCOUNTANT_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/office**")
    page.goto(f"{live_server.url}/office/{hoa.id}/meetings/{meeting.id}/ballots")
    petrov = entries["Петров П. П."]
    page.keyboard.type(str(petrov.ballot_number))  # the number field has the focus
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-ballot-owner]")
    page.wait_for_load_state("load")  # the keyboard script has run: the first answer has the focus
    assert "Петров П. П." in page.inner_text("[data-ballot-owner]")
    for key in ("2", "1", "3"):
        page.keyboard.press(key)
    page.keyboard.press("Enter")  # the focus is on «Save» after the last question
    assert f"Бюллетень № {petrov.ballot_number} сохранён" in page.inner_text(".alert-success")
    with app.app_context():
        decisions = [v.decision for v in Vote.select().where(Vote.entry == petrov.id)
                     .order_by(Vote.question)]
    assert decisions == ["against", "for", "abstain"]

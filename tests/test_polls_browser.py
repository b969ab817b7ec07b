"""A resident on a 360×740 phone finds the poll on the home page, answers it and changes the
answer, through a real Chromium with CSRF on."""
from datetime import date

from factories import browser_log_in, make_resident
from factories_polls import TODAY, make_poll
from models import Hoa
from polls.models import PollAnswer


def test_phone_answers_a_poll_and_changes_the_answer(live_server, page):
    import demo
    app = live_server.app
    app.config["TODAY"] = TODAY
    with app.app_context():
        demo.load(echo=lambda *a: None, files=("accounts.csv",))
        make_resident("100001", "phone-pass-1", email="anna@example.ru")
        poll = make_poll(Hoa.get(Hoa.prefixes == "10"), closes_on=date(2026, 3, 20),
                         options=("Да, ставить", "Нет, не нужно", "Мне всё равно"),
                         results_while_open=True)
    page.set_viewport_size({"width": 360, "height": 740})
    browser_log_in(page, live_server.url, "100001", "phone-pass-1")
    home = page.locator("[data-home-polls]")
    assert "Ждёт вашего ответа" in home.inner_text()
    home.locator("a").click()
    page.wait_for_url(f"**/cabinet/polls/{poll.id}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.click("[data-answer-form] button[type=submit]")  # nothing chosen
    assert "Выберите один из вариантов опроса." in page.inner_text("[data-answer-error]")
    page.check("label:has-text('Да, ставить')")
    page.click("[data-answer-form] button[type=submit]")
    assert "Ваш ответ сохранён" in page.inner_text(".alert-success")
    assert "«Да, ставить»" in page.inner_text("[data-my-answer]")
    assert "100 %" in page.inner_text("[data-option-result='1'] [data-share]")
    bar = page.locator("[data-option-result='1'] svg").bounding_box()
    assert 250 < bar["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.check("label:has-text('Мне всё равно')")
    page.click("button:has-text('Изменить ответ')")
    assert "«Мне всё равно»" in page.inner_text("[data-my-answer]")
    with app.app_context():
        assert [(a.account.number, a.option.text) for a in PollAnswer.select()] == [
            ("100001", "Мне всё равно")]
    page.goto(live_server.url + "/cabinet")
    assert "Вы ответили" in page.inner_text("[data-home-polls]")

"""The registration page: the code field only where a check needs it, with where to find the
code, and «Try again» keeping what was typed."""
import re

from models import Account, Hoa


def set_checks(app, mode):
    with app.app_context():
        Hoa.update(registration_check=mode).execute()


def field_value(html, name):
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    value = re.search(r'value="([^"]*)"', found.group(0)) if found else None
    return value.group(1) if value else ""


def test_code_field_says_where_the_code_is_printed(demo, client):
    set_checks(demo, "code")
    html = client.get("/register").get_data(as_text=True)
    assert 'name="code"' in html and 'aria-describedby="code-help"' in html
    help_text = html[html.index("data-code-help"):]
    assert "в разделе 1 «Сведения о плательщике и исполнителе услуг»" in help_text[:400]
    assert "«Код регистрации»" in help_text[:400]
    assert "достаточно зарегистрироваться с этим e-mail" not in html  # no HOA takes the e-mail


def test_no_code_field_when_no_hoa_asks_for_one(demo, client):
    set_checks(demo, "email")
    html = client.get("/register").get_data(as_text=True)
    assert 'name="code"' not in html and "Код регистрации" not in html
    assert "data-email-help" in html
    set_checks(demo, "none")
    html = client.get("/register").get_data(as_text=True)
    assert 'name="code"' not in html and "data-email-help" not in html


def test_try_again_keeps_email_name_and_consent(demo, resident):
    set_checks(demo, "code")
    r = resident.register(email="anna@example.ru", name="Анна Петрова", code="WRONG-1")
    assert r.status_code == 403
    assert 'href="/register"' in r.get_data(as_text=True)  # «Попробовать ещё раз»
    html = resident.client.get("/register").get_data(as_text=True)
    assert field_value(html, "email") == "anna@example.ru"
    assert field_value(html, "name") == "Анна Петрова"
    assert field_value(html, "account") == "100001"
    assert re.search(r'<input checked[^>]*name="consent"', html)
    assert field_value(html, "code") == ""  # the wrong code is not kept
    assert "data-code-help" in html
    # once shown, the draft is gone: a fresh visit starts empty
    html = resident.client.get("/register").get_data(as_text=True)
    assert field_value(html, "email") == ""


def test_try_again_after_a_mistyped_number(demo, resident):
    with demo.app_context():
        assert Account.get_or_none(Account.number == "109999") is None
    r = resident.register(account="109999", email="anna@example.ru", name="Анна")
    assert 'data-outcome="mistyped"' in r.get_data(as_text=True)
    html = resident.client.get("/register").get_data(as_text=True)
    assert field_value(html, "account") == "109999" and field_value(html, "email") == "anna@example.ru"

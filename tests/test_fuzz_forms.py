"""Every form fed arbitrary input: never a 500, and an error answer leaves every table as it was."""
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testdb import row_counts
from factories import registration_code
from migrate import MODELS
from models import AuditEvent

# DOMKOM_FUZZ_EXAMPLES=500 for a deeper run by hand; CI keeps the suite fast
FUZZ = settings(max_examples=int(os.environ.get("DOMKOM_FUZZ_EXAMPLES", 40)), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

# any text a browser could send (no lone surrogates: those cannot be encoded as UTF-8)
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
numbers = st.one_of(
    text,
    st.from_regex(r"\A[0-9]{1,25}\Z"),
    st.sampled_from(["100001", "л/с № 100 001", "100-002", "200001", "10000１", "١٠٠٠٠١",
                     "100001\x00", " 100001\n", "0" * 40]))
emails = st.one_of(text, st.emails(), st.sampled_from(["anna@example.ru\r\nBcc: x@evil.ru",
                                                       "анна@пример.рф", "a@b"]))
optional = st.one_of(st.none(), text)


def counts(app):
    # the security log is meant to grow on failures (failed logins are recorded)
    return row_counts(app, [m for m in MODELS if m is not AuditEvent])


def check(app, client, path, data):
    data = {key: value for key, value in data.items() if value is not None}
    before = counts(app)
    response = client.post(path, data=data)
    assert response.status_code < 500, (path, data, response.status_code)
    if response.status_code >= 400:
        assert counts(app) == before, (path, data)
    return response


@FUZZ
@given(account=numbers, email=emails, name=optional, code=optional,
       consent=st.sampled_from([None, "y", "", "on", "0"]))
def test_register(demo, client, account, email, name, code, consent):
    check(demo, client, "/register", dict(account=account, email=email, name=name, code=code,
                                          consent=consent))


@FUZZ
@given(account=numbers, password=optional, remember=optional)
def test_login(demo, client, account, password, remember):
    check(demo, client, "/login", dict(account=account, password=password, remember=remember))


@FUZZ
@given(account=numbers)
def test_forgot_and_resend(demo, client, account):
    check(demo, client, "/forgot", dict(account=account))
    check(demo, client, "/register/resend", dict(account=account))


@FUZZ
@given(account=numbers, email=emails, phone=optional, message=optional)
def test_operator_request(demo, client, account, email, phone, message):
    check(demo, client, "/register/operator", dict(account=account, email=email, phone=phone,
                                                   text=message))


@FUZZ
@given(name=optional, phone=optional, email=emails)
def test_profile(demo, logged_in, client, name, phone, email):
    check(demo, client, "/cabinet/profile", dict(name=name, phone=phone, email=email))


@FUZZ
@given(current=optional, new=optional, confirm=optional)
def test_password(demo, logged_in, client, current, new, confirm):
    check(demo, client, "/cabinet/password", dict(current_password=current, new_password=new,
                                                   new_password_confirm=confirm))
    assert client.get("/cabinet").status_code == 200  # the resident is still logged in


@FUZZ
@given(email=emails, password=optional)
def test_office_login(demo, client, email, password):
    check(demo, client, "/office/login", dict(email=email, password=password))


@FUZZ
@given(token=text)
def test_links_from_mail(demo, client, token):
    for path in ("/activate/", "/reset/", "/cabinet/email/"):
        before = counts(demo)
        url = path + token.replace("/", "_").replace("?", "_").replace("#", "_")
        for method in (client.get, client.post):  # the page, and its button
            response = method(url)
            assert response.status_code < 500
            if response.status_code >= 400:
                assert counts(demo) == before


def test_found_by_fuzzing_non_latin_mailbox_is_refused_not_500(demo, client, outbox):
    """'анна@пример.рф' once crashed the mail library; it is a form error now."""
    response = check(demo, client, "/register", dict(account="100001", email="анна@пример.рф",
                                                      consent="y"))
    assert response.status_code == 400 and outbox.messages() == []
    response = check(demo, client, "/register", dict(account="100001", email="anna@пример.рф",
                                                      consent="y",
                                                      code=registration_code(demo, "100001")))
    assert 'data-outcome="registered"' in response.get_data(as_text=True)
    assert outbox.last()["To"] == "anna@xn--e1afmkfd.xn--p1ai"

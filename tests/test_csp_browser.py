"""Every page renders in a real browser under the strict CSP without a single violation."""
import pytest

import demo as demo_data
from factories import browser_log_in, make_resident
from models import Accountant, AccountantHoa, Hoa

PUBLIC_PAGES = ["/", "/register", "/login", "/forgot", "/help", "/privacy", "/office/login",
                "/no-such-page"]
PUBLIC_AREAS = {"static", "bootstrap", "pages", "auth"}


def pages_of(app, office, hoa_id):
    """Every GET page of the resident's (or the office's) areas that needs no id but the HOA's;
    pages added by other areas are checked as soon as they land."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        area = rule.endpoint.split(".")[0]
        if area in PUBLIC_AREAS or area.startswith("office") != office \
                or "GET" not in rule.methods or not rule.arguments <= {"hoa_id"}:
            continue
        found.append(adapter.build(rule.endpoint, {"hoa_id": hoa_id} if rule.arguments else {}))
    return sorted(set(found))


@pytest.fixture
def people(live_server):
    with live_server.app.app_context():
        demo_data.load(echo=lambda *a: None)
        hoa = Hoa.get(Hoa.prefixes == "10")
        make_resident("100001", "resident-pass-1", email="r@example.ru", name="Анна")
        accountant = Accountant(email="buh@rassvet.example")
        accountant.set_password("office-pass-1")
        accountant.save()
        AccountantHoa.create(accountant=accountant, hoa=hoa)
        return hoa.id


def watch(page):
    violations = []
    page.on("console", lambda msg: violations.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text else None)
    page.on("pageerror", lambda exc: violations.append(f"page error: {exc}"))
    return violations


def visit(page, url):
    response = page.goto(url)
    page.wait_for_load_state("load")
    return response


def test_pages_render_without_csp_violations(live_server, page, people):
    violations = watch(page)
    for path in PUBLIC_PAGES:
        visit(page, live_server.url + path)
    browser_log_in(page, live_server.url, "100001", "resident-pass-1")
    resident_pages = pages_of(live_server.app, False, people)
    assert {"/cabinet", "/cabinet/profile", "/cabinet/password"} <= set(resident_pages)
    for path in resident_pages:
        assert visit(page, live_server.url + path).status == 200, path
    page.click("nav button[type=submit]")  # log out
    page.goto(live_server.url + "/office/login")
    page.fill("#email", "buh@rassvet.example")
    page.fill("#password", "office-pass-1")
    page.click("form.form-narrow button[type=submit]")
    page.wait_for_url(f"**/office/{people}")
    office_pages = pages_of(live_server.app, True, people)
    assert {"/office", f"/office/{people}", f"/office/{people}/audit"} <= set(office_pages)
    for path in office_pages:
        response = visit(page, live_server.url + path)
        assert response.status == 200, path
    # the mobile menu works: Bootstrap's script runs under the policy
    page.set_viewport_size({"width": 360, "height": 700})
    page.click(".navbar-toggler")
    page.wait_for_selector("#nav.show")
    assert violations == []


def test_inline_code_is_refused_by_the_browser(live_server, page):
    """The control: the policy is really enforced, and the watcher really sees violations."""
    violations = watch(page)
    visit(page, live_server.url + "/login")
    page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.inlineRan = true';
        document.body.appendChild(s);
    }""")
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.inlineRan === true") is False
    assert any("Content Security Policy" in v for v in violations)

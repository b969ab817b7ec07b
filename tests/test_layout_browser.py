"""Every page in a real browser, loaded once each: under the strict CSP without a violation, at a
360 px phone and laid out again at a 1280 px desktop without sideways scrolling, and with nothing
serious for axe-core. One walk gathers what every test here asserts (a page load is most of a
browser test's cost), and each test asserts its own part of it."""
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from helpers import serve

import demo as demo_data
from factories import browser_log_in, make_resident
from importruns import ImportRun
from meter_models import Meter
from documents.models import Document
from factories_polls import make_poll
from models import Account, Accountant, AccountantHoa, Hoa, Resident
from storedfiles import StoredFile
from tokens import make_unsubscribe_token
from readings import seed_demo_readings
from tickets.models import Ticket

pytestmark = pytest.mark.xdist_group("every-page")  # one walk for the module's tests
# The walk's fixtures are the session's: with other modules' tests run between these, a module's
# fixture would be torn down and the walk made again.
PHONE, DESKTOP = 360, 1280
WIDTHS = (PHONE, DESKTOP)
PUBLIC_PAGES = ["/", "/register", "/login", "/forgot", "/help", "/privacy", "/office/login",
                "/no-such-page"]
PUBLIC_AREAS = {"static", "bootstrap", "pages", "auth"}
# CI installs axe-core with npm (see .ci/run); without it the accessibility test is skipped
AXE = Path(os.environ.get("DOMKOM_AXE", "/tmp/domkom-axe/node_modules/axe-core/axe.min.js"))


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


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """A live server with the whole demo, readings, a second registered resident and an office
    login, shared by the tests here (they only look); `paths` holds the (public, resident,
    office) pages."""
    live_server = serve(tmp_path_factory.mktemp("layout"))
    try:
        live_server.paths = site_paths(live_server)
        yield live_server
    finally:
        live_server.shutdown()


def site_paths(live_server):
    with live_server.app.app_context():
        demo_data.load(echo=lambda *a: None)
        seed_demo_readings()
        hoa = Hoa.get(Hoa.prefixes == "10")
        live_server.hoa_id = hoa.id
        anna = make_resident("100001", "resident-pass-1", email="r@example.ru", name="Анна")
        mine = Ticket.create(hoa=hoa, account=anna.account, resident=anna, category="лифт",
                             text="Лифт стоит между этажами", urgent=True, deadline=date.today())
        make_resident("100002", "resident-pass-2", email="longer.address@example.ru")
        accountant = Accountant(email="buh@rassvet.example", name="Анна Викторовна")
        accountant.set_password("office-pass-1")
        accountant.save()
        AccountantHoa.create(accountant=accountant, hoa=hoa)
        meter = Meter.select().join(Account).where(Account.number == "100001").first()
        poll = make_poll(hoa, opens_on=date.today(), results_while_open=True)
        document = Document.create(
            hoa=hoa, title="Протокол общего собрания собственников помещений № 3 от 20.05.2026",
            category="minutes", dated=date(2026, 5, 20), public=True,
            file=StoredFile.create(token="layout-document", name="protokol-3.pdf",
                                   content_type="application/pdf", size=5, data=b"%PDF-"))
        resident = pages_of(live_server.app, False, hoa.id) + [
            "/cabinet/statements/2026-11", f"/cabinet/meters/{meter.id}",
            f"/cabinet/polls/{poll.id}", f"/cabinet/requests/{mine.id}"]
        run = ImportRun.select().where(ImportRun.hoa == hoa).order_by(ImportRun.id.desc()).get()
        office = pages_of(live_server.app, True, hoa.id) + [
            f"/office/{hoa.id}/notices/new", f"/office/{hoa.id}/readings/meter/{meter.id}",
            f"/office/{hoa.id}/polls/{poll.id}", f"/office/{hoa.id}/polls/{poll.id}/delete",
            f"/office/{hoa.id}/documents/{document.id}", "/office/help",
            f"/office/{hoa.id}/requests/{mine.id}", f"/office/{hoa.id}/import/loads/{run.id}/undo"]
        public = PUBLIC_PAGES + [
            f"/hoa/{hoa.id}/documents",
            "/unsubscribe/" + make_unsubscribe_token(Resident.get().id, "charges")]
    return public, resident, office


AXE_RUN = """async () => {
    const r = await axe.run(document, {resultTypes: ['violations']});
    return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
        .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
}"""
HIDDEN_FIGURES = """() => {
    const hidden = [];
    for (const cell of document.querySelectorAll('main td')) {
        const box = cell.getBoundingClientRect();
        if (cell.innerText.trim() && (box.left < 0 || box.right > window.innerWidth + 0.5))
            hidden.push(cell.closest('table').className + ': ' + cell.innerText.trim());
    }
    return hidden;
}"""
LABELS_SHOWN = """row => [...row.cells].map(cell => {
    const label = getComputedStyle(cell, '::before').content;
    return label && label !== 'none' ? label.slice(1, -1) : cell.innerText.trim();
})"""


@dataclass
class Walk:
    """What the walk saw: per page its status, how wide it was at each width, axe's serious
    findings and the figures a phone could not show; the CSP's complaints as they came."""
    status: dict = field(default_factory=dict)
    too_wide: dict = field(default_factory=lambda: {width: [] for width in WIDTHS})
    axe: list = None  # None: axe-core is not installed
    hidden_figures: list = field(default_factory=list)
    labels: dict = field(default_factory=dict)
    violations: list = field(default_factory=list)
    mobile_menu: str = "not tried"
    office_menu: tuple = None


@pytest.fixture(scope="session")
def walked(browser, site):
    """The walk: public pages, then as a resident, then in the office, each loaded once at
    360 px and measured, then laid out at 1280 px and measured again."""
    context = browser.new_context(locale="ru-RU", viewport={"width": PHONE, "height": 740})
    page = context.new_page()
    page.set_default_timeout(15000)
    seen = Walk(axe=[] if AXE.exists() else None)
    axe_script = AXE.read_text() if AXE.exists() else None
    if axe_script is not None:  # in every page as it is made, by CDP: the CSP does not govern it
        context.add_init_script(axe_script)
    current = ["(before the first page)"]
    page.on("console", lambda msg: seen.violations.append(f"{current[0]}: {msg.text}")
            if "Content Security Policy" in msg.text or "Refused to" in msg.text else None)
    page.on("pageerror", lambda exc: seen.violations.append(f"{current[0]}: page error: {exc}"))

    def look(path):
        current[0] = path
        response = page.goto(site.url + path)
        page.wait_for_load_state("load")
        seen.status[path] = response.status
        measure_width(PHONE, path)
        if axe_script is not None:
            seen.axe.extend(f"{path}: {p}" for p in page.evaluate(AXE_RUN))
        if path.startswith(("/cabinet/statements", "/cabinet/meters")):
            seen.hidden_figures.extend(f"{path}: {c}" for c in page.evaluate(HIDDEN_FIGURES))
        if path == "/cabinet/statements/2026-11":
            for row in ("table.charges tfoot tr", "table.charges tbody tr"):
                seen.labels[row] = page.eval_on_selector(row, LABELS_SHOWN)
        page.set_viewport_size({"width": DESKTOP, "height": 800})
        measure_width(DESKTOP, path)
        page.set_viewport_size({"width": PHONE, "height": 740})

    def measure_width(width, path):
        scroll, inner = page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]")
        if scroll > inner:
            seen.too_wide[width].append(f"{path}: {scroll} px")

    public, resident, office = site.paths
    try:
        for path in public:
            look(path)
        browser_log_in(page, site.url, "100001", "resident-pass-1")
        for path in resident:
            look(path)
        page.context.clear_cookies()
        log_in_office(page, site.url)
        for path in office:
            look(path)
        seen.office_menu = office_menu(page)
        # the phone's menu opens: Bootstrap's script runs under the policy
        page.click(".navbar-toggler")
        page.wait_for_selector("#nav.show")
        seen.mobile_menu = "opens"
    finally:
        context.close()
    return seen


def log_in_office(page, url):
    page.goto(url + "/office/login")
    page.fill("#email", "buh@rassvet.example")
    page.fill("#password", "office-pass-1")
    page.click("form.form-narrow button[type=submit]")
    page.wait_for_url("**/office/*")


def office_menu(page):
    """At 1280 px: (the menu's «Выйти» shown, its right edge, whether it is on the brand's
    line)."""
    page.set_viewport_size({"width": DESKTOP, "height": 800})
    brand = page.locator(".navbar-brand").bounding_box()
    logout = page.locator("nav button[type=submit]")
    shown = logout.is_visible()
    box = logout.bounding_box()
    page.set_viewport_size({"width": PHONE, "height": 740})
    return shown, box["x"] + box["width"], abs(box["y"] - brand["y"]) < brand["height"]


def test_pages_render_without_csp_violations(walked, site):
    _public, resident, office = site.paths
    assert {"/cabinet", "/cabinet/profile", "/cabinet/password"} <= set(resident)
    assert {"/office", f"/office/{site.hoa_id}", f"/office/{site.hoa_id}/audit"} <= set(office)
    assert [p for p in resident + office if walked.status[p] != 200] == []
    assert walked.status["/no-such-page"] == 404
    assert walked.mobile_menu == "opens"
    assert walked.violations == [], "\n".join(walked.violations)


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_is_wider_than_the_screen(walked, site, width):
    assert set(walked.status) == {p for paths in site.paths for p in paths}  # every page seen
    assert not walked.too_wide[width], "\n".join(walked.too_wide[width])


def test_the_office_menu_fits_one_line_on_a_desktop(walked):
    """At 1280 px the office's menu and «Выйти» stay on one line inside the screen."""
    shown, right, same_line = walked.office_menu
    assert shown and right <= DESKTOP and same_line


def test_no_serious_accessibility_problems_on_a_phone(walked):
    if walked.axe is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"axe-core is required in CI but {AXE} is missing")
        pytest.skip("axe-core is not installed (npm install axe-core)")
    assert not walked.axe, "\n".join(walked.axe)


def test_a_phone_shows_every_figure_of_the_resident_without_sideways_scrolling(walked, site):
    assert any(p.startswith("/cabinet/meters/") for p in site.paths[1])
    assert not walked.hidden_figures, "\n".join(walked.hidden_figures)
    # a month's service is a card of labelled figures: «Итого» shows its sums
    assert walked.labels["table.charges tfoot tr"] == [
        "Итого", "Сумма", "Перерасчёт", "Льгота", "К оплате"]
    assert walked.labels["table.charges tbody tr"][1:] == [
        "Ед. изм.", "Объём", "Тариф", "Сумма", "Перерасчёт", "Льгота", "К оплате"]

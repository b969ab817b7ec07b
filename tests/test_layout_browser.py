"""Every page in a real browser at a 360 px phone and a 1280 px desktop: the page never scrolls
sideways, and axe-core finds nothing serious on it."""
import os
from datetime import date
from pathlib import Path

import pytest
from conftest import serve

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
from test_csp_browser import PUBLIC_PAGES, pages_of
from tickets.models import Ticket

WIDTHS = (360, 1280)
# CI installs axe-core with npm (see .ci/run); without it the accessibility test is skipped
AXE = Path(os.environ.get("DOMKOM_AXE", "/tmp/domkom-axe/node_modules/axe-core/axe.min.js"))


@pytest.fixture(scope="module")
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
        public = PUBLIC_PAGES[:-1] + [
            f"/hoa/{hoa.id}/documents",
            "/unsubscribe/" + make_unsubscribe_token(Resident.get().id, "charges")]
    return public, resident, office


def log_in_office(page, url):
    page.goto(url + "/office/login")
    page.fill("#email", "buh@rassvet.example")
    page.fill("#password", "office-pass-1")
    page.click("form.form-narrow button[type=submit]")
    page.wait_for_url("**/office/*")


def walk(page, url, paths, check):
    """Calls check(path) on every page: public ones, then as a resident, then in the office."""
    public, resident, office = paths
    for path in public:
        page.goto(url + path)
        check(path)
    browser_log_in(page, url, "100001", "resident-pass-1")
    for path in resident:
        page.goto(url + path)
        check(path)
    page.context.clear_cookies()
    log_in_office(page, url)
    for path in office:
        page.goto(url + path)
        check(path)


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_is_wider_than_the_screen(page, site, width):
    page.set_viewport_size({"width": width, "height": 800})
    too_wide = []

    def check(path):
        page.wait_for_load_state("load")
        scroll, inner = page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]")
        if scroll > inner:
            too_wide.append(f"{path}: {scroll} px")
    walk(page, site.url, site.paths, check)
    assert not too_wide, "\n".join(too_wide)


def test_the_office_menu_fits_one_line_on_a_desktop(page, site):
    """At 1280 px the office's menu and «Выйти» stay on one line inside the screen."""
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in_office(page, site.url)
    brand = page.locator(".navbar-brand").bounding_box()
    logout = page.locator("nav button[type=submit]")
    assert logout.is_visible()
    box = logout.bounding_box()
    assert box["x"] + box["width"] <= 1280
    assert abs(box["y"] - brand["y"]) < brand["height"]  # the same line as the brand


def test_no_serious_accessibility_problems_on_a_phone(page, site):
    if not AXE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"axe-core is required in CI but {AXE} is missing")
        pytest.skip("axe-core is not installed (npm install axe-core)")
    page.set_viewport_size({"width": 360, "height": 740})
    script = AXE.read_text()
    problems = []

    def check(path):
        page.wait_for_load_state("load")
        page.evaluate(script)  # by CDP, which the page's CSP does not govern
        found = page.evaluate("""async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
                .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
        }""")
        problems.extend(f"{path}: {p}" for p in found)
    walk(page, site.url, site.paths, check)
    assert not problems, "\n".join(problems)


HIDDEN_FIGURES = """() => {
    const hidden = [];
    for (const cell of document.querySelectorAll('main td')) {
        const box = cell.getBoundingClientRect();
        if (cell.innerText.trim() && (box.left < 0 || box.right > window.innerWidth + 0.5))
            hidden.push(cell.closest('table').className + ': ' + cell.innerText.trim());
    }
    return hidden;
}"""


def test_a_phone_shows_every_figure_of_the_resident_without_sideways_scrolling(
        page, site):
    _public, resident, _office = site.paths
    page.set_viewport_size({"width": 360, "height": 740})
    browser_log_in(page, site.url, "100001", "resident-pass-1")
    hidden = []
    for path in [p for p in resident if p.startswith(("/cabinet/statements", "/cabinet/meters"))]:
        page.goto(site.url + path)
        hidden.extend(f"{path}: {cell}" for cell in page.evaluate(HIDDEN_FIGURES))
    assert not hidden, "\n".join(hidden)
    # a month's service is a card of labelled figures: «Итого» shows its sums
    page.goto(site.url + "/cabinet/statements/2026-11")
    assert labels_shown(page, "table.charges tfoot tr") == [
        "Итого", "Сумма", "Перерасчёт", "Льгота", "К оплате"]
    assert labels_shown(page, "table.charges tbody tr")[1:] == [
        "Ед. изм.", "Объём", "Тариф", "Сумма", "Перерасчёт", "Льгота", "К оплате"]


def labels_shown(page, row):
    """Each cell's label drawn before its figure, or the cell's text where it has none."""
    return page.eval_on_selector(row, """row => [...row.cells].map(cell => {
        const label = getComputedStyle(cell, '::before').content;
        return label && label !== 'none' ? label.slice(1, -1) : cell.innerText.trim();
    })""")

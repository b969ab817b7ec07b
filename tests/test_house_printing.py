"""Printing the house as a job, the job run inside the request: files of a page limit in a ZIP,
a printing reused until the month's data changes, its pages and who may open them."""
import io
import re
import zipfile
from datetime import date, datetime

import pytest
from factories import OCT, SERVICES, add_meters, add_month
from test_house_receipts import house, print_house  # noqa: F401 (a fixture)
from test_receipts import pdf_pages_text_fast

import house_receipts
from meter_models import Reading
from models import Account, Accountant, AccountantHoa, Hoa, Payment
from receipt_files import HouseReceipts, HouseReceiptsChunk, HouseReceiptsFile

NUMBER = re.compile(r"Лицевой счёт\s*(\d+)")
MANY_SERVICES = [(f"Услуга {n}", "м²", "1.000", "10.0000") for n in range(45)]


def receipts_in(pdf):
    """The account number of each receipt in a PDF (a receipt's later pages have none)."""
    return [found.group(1) for found in map(NUMBER.search, pdf_pages_text_fast(pdf)) if found]


def unzip(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(name, archive.read(name)) for name in archive.namelist()]


def printings(app):
    with app.app_context():
        return [(job.id, job.state) for job in HouseReceipts.select().order_by(HouseReceipts.id)]


def start(client, hoa_id, period="2026-10"):
    """The printing's id the office lands on after pressing the button."""
    r = client.post(f"/office/{hoa_id}/receipts/{period}/print")
    assert r.status_code == 302, r.get_data(as_text=True)
    return int(r.headers["Location"].rsplit("/", 1)[1])


def test_big_house_comes_in_files_of_the_page_limit_in_address_order(office, client, house,
                                                                     demo):
    demo.config["RECEIPTS_PAGES_PER_FILE"] = 2
    with demo.app_context():  # apartment 9's receipt takes two pages
        add_month(Account.get(Account.number == "100009"), date(2026, 11, 1))
        Account.update(apartment="3").where(Account.number == "100003").execute()
        for number in ("100002", "100009", "100011", "100003"):
            add_month(Account.get(Account.number == number), date(2026, 11, 1),
                      services=MANY_SERVICES if number == "100009" else SERVICES)
        add_month(Account.get(Account.number == "100010"), date(2026, 11, 1))
    r = print_house(client, office.id, "2026-11")
    assert r.status_code == 200 and r.mimetype == "application/zip"
    assert "receipts-1-2026-11.zip" in r.headers["Content-Disposition"]
    files = unzip(r.data)
    # the other street first, then apartments 2, 3, 9 (two pages), 10 of the first house
    assert [receipts_in(pdf) for _name, pdf in files] == [
        ["100010", "100002"], ["100003"], ["100009"], ["100011"]]
    assert [name for name, _pdf in files] == [
        f"receipts-2026-11-00{n}-of-004.pdf" for n in range(1, 5)]
    assert all(len(pdf_pages_text_fast(pdf)) <= 2 for _name, pdf in files)
    html = client.get(r.request.path.rsplit("/", 1)[0]).get_data(as_text=True)
    assert "5 квитанций" in html and "в 4 файла не длиннее 2 страниц" in html
    assert "Скачать ZIP-архив" in html


def test_a_house_of_many_slices_is_drawn_in_rounds_of_fresh_processes(office, client, house,
                                                                     demo):
    """More slices than the render processes take before they are replaced: every round gets
    a new pool (a pool that replaced its own processes stopped for good on a backlog, CPython
    gh-115634: a house over 20,000 receipts never finished)."""
    demo.config.update(RECEIPTS_PAGES_PER_FILE=1, RECEIPTS_PROCESSES=1,
                       RECEIPTS_SLICES_PER_PROCESS=2)
    r = print_house(client, office.id)
    assert r.mimetype == "application/zip"
    files = unzip(r.data)
    assert len(files) == 4  # four slices: two rounds of one process drawing two
    assert [receipts_in(pdf) for _name, pdf in files] == [
        ["100010"], ["100002"], ["100009"], ["100011"]]


def test_printing_is_reused_until_the_months_data_changes(office, client, house, demo):
    first = start(client, office.id)
    with demo.app_context():
        stored = [(f.id, f.size) for f in HouseReceiptsFile.select()]
        drawn = [bytes(c.data) for c in HouseReceiptsChunk.select().order_by(HouseReceiptsChunk.id)]
    assert start(client, office.id) == first  # the same files, not drawn again
    html = client.get(f"/office/{office.id}/receipts").get_data(as_text=True)
    assert f'/office/{office.id}/receipts/printing/{first}/download' in html
    with demo.app_context():
        assert [(f.id, f.size) for f in HouseReceiptsFile.select()] == stored
        Payment.create(account=Account.get(Account.number == "100009"), period=OCT,
                       paid_on=date(2026, 10, 20), amount=100)
    page = client.get(f"/office/{office.id}/receipts/printing/{first}").get_data(as_text=True)
    assert "data-stale" in page and "Напечатать заново" in page
    assert "data-print" in client.get(f"/office/{office.id}/receipts").get_data(as_text=True)
    assert "data-stale" in client.get(f"/office/{office.id}/receipts").get_data(as_text=True)
    second = start(client, office.id)  # the month's printing, drawn again from the new data
    assert second == first and printings(demo) == [(first, "done")]
    with demo.app_context():
        assert HouseReceiptsFile.select().count() == len(stored)  # the old files are gone
        assert [bytes(c.data) for c in HouseReceiptsChunk.select()
                .order_by(HouseReceiptsChunk.id)] != drawn
    page = client.get(f"/office/{office.id}/receipts/printing/{first}").get_data(as_text=True)
    assert "data-stale" not in page and "data-download" in page


def test_a_big_house_is_checked_for_changes_by_the_worker_at_most_every_few_seconds(
        office, client, house, demo):
    demo.config["RECEIPTS_RECHECK_INLINE"] = 0  # as if the house had more accounts than that
    first = start(client, office.id)
    page = f"/office/{office.id}/receipts/printing/{first}"
    with demo.app_context():
        Payment.create(account=Account.get(Account.number == "100009"), period=OCT,
                       paid_on=date(2026, 10, 20), amount=100)
        HouseReceipts.update(checked_at=datetime(2026, 1, 1)).execute()  # last read long ago
    assert "data-stale" in client.get(page).get_data(as_text=True)  # read by the job
    with demo.app_context():
        checked = HouseReceipts.get_by_id(first).checked_at
        assert checked > datetime(2026, 1, 1)
        HouseReceipts.update(stale=False).execute()  # what the worker found is not read again
    assert "data-stale" not in client.get(page).get_data(as_text=True)
    with demo.app_context():
        assert HouseReceipts.get_by_id(first).checked_at == checked


@pytest.mark.parametrize("change", ["charge", "payment", "balance", "reading", "declined",
                                    "requisites", "account", "september"])
def test_fingerprint_follows_what_the_receipts_show(demo, house, change):
    with demo.app_context():
        hoa = Hoa.get(Hoa.prefixes == "10")
        account = Account.get(Account.number == "100009")
        water, _power = add_meters(account, OCT)
        before = house_receipts.fingerprint(hoa, OCT)
        assert house_receipts.fingerprint(hoa, OCT) == before
        if change == "charge":
            charge = account.charges.first()
            charge.amount += 1
            charge.save()
        elif change == "payment":
            Payment.update(amount=Payment.amount + 1).execute()
        elif change == "balance":
            add_month(Account.get(Account.number == "100003"), OCT, opening="5")
        elif change == "reading":
            Reading.create(meter=water, period=OCT, t1=110, submitted_at=datetime(2026, 10, 25))
        elif change == "declined":
            Reading.update(status="declined").where(Reading.t1 == 102.25).execute()
        elif change == "requisites":
            Hoa.update(bic="044525225").where(Hoa.id == hoa.id).execute()
            hoa = Hoa.get_by_id(hoa.id)
        elif change == "account":
            Account.create(number="100099", hoa=hoa, address="г. Самара, ул. Новая, д. 1")
        after = house_receipts.fingerprint(hoa, OCT)
        if change == "september":  # another month's data shows on October's receipts not
            add_month(Account.get(Account.number == "100003"), date(2026, 9, 1))
            assert house_receipts.fingerprint(hoa, OCT) == before
        else:
            assert after != before


def test_progress_page_refreshes_itself_without_script(office, client, house, demo):
    with demo.app_context():
        job = HouseReceipts.create(hoa=office.id, period=OCT, fingerprint="x", state="running",
                                   receipts=1000, done=345)
    r = client.get(f"/office/{office.id}/receipts/printing/{job.id}")
    html = r.get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in html
    assert "Готово квитанций: 345 из 1000" in html
    assert 'class="progress-bar progress-30"' in html and 'aria-valuenow="345"' in html
    assert "style=" not in html and "<script>" not in html
    assert "unsafe-inline" not in r.headers["Content-Security-Policy"]
    assert client.get(f"/office/{office.id}/receipts/printing/{job.id}/download").status_code \
        == 404  # nothing to download yet
    with demo.app_context():
        HouseReceipts.update(state="queued", done=0).execute()
    html = client.get(f"/office/{office.id}/receipts/printing/{job.id}").get_data(as_text=True)
    assert 'data-state="queued"' in html and "http-equiv" in html and "progress-0" in html
    with demo.app_context():  # started, the house not counted yet: no "0 of 0"
        HouseReceipts.update(state="running", receipts=0).execute()
    html = client.get(f"/office/{office.id}/receipts/printing/{job.id}").get_data(as_text=True)
    assert 'data-state="running"' in html and "из 0" not in html and "http-equiv" in html


def test_failed_printing_says_so_and_can_be_started_again(office, client, house, demo):
    demo.config["RECEIPTS_PAGES_PER_FILE"] = 0  # the job cannot plan: it fails
    job_id = start(client, office.id)
    html = client.get(f"/office/{office.id}/receipts/printing/{job_id}").get_data(as_text=True)
    assert 'data-state="failed"' in html and "не удалось напечатать" in html
    assert "http-equiv" not in html and "data-print" in html
    demo.config["RECEIPTS_PAGES_PER_FILE"] = 1000
    assert start(client, office.id) == job_id
    assert printings(demo) == [(job_id, "done")]
    r = client.get(f"/office/{office.id}/receipts/printing/{job_id}/download")
    assert r.mimetype == "application/pdf" and receipts_in(r.data) == house


def other_accountant(demo, client):
    """Log the client in as the accountant of «Полёт» instead."""
    with demo.app_context():
        polet = Hoa.get(Hoa.prefixes == "20")
        accountant = Accountant(email="buh@polet.example")
        accountant.set_password("office-pass-2")
        accountant.save()
        AccountantHoa.create(accountant=accountant, hoa=polet)
    client.post("/office/logout")
    client.post("/office/login", data={"email": "buh@polet.example", "password": "office-pass-2"})
    return polet


def test_printings_of_another_hoa_and_tampered_ids_are_not_found(office, client, house, demo):
    job_id = start(client, office.id)
    with demo.app_context():
        polet = Hoa.get(Hoa.prefixes == "20")
        theirs = HouseReceipts.create(hoa=polet, period=OCT, fingerprint="y", state="done")
    for path in (f"/office/{office.id}/receipts/printing/{theirs.id}",
                 f"/office/{office.id}/receipts/printing/{theirs.id}/download",
                 f"/office/{polet.id}/receipts/printing/{job_id}",
                 f"/office/{polet.id}/receipts/printing/{job_id}/download",
                 f"/office/{office.id}/receipts/printing/99999",
                 f"/office/{office.id}/receipts/printing/{job_id}x/download",
                 f"/office/{office.id}/receipts/printing/-1"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/office/{polet.id}/receipts/2026-10/print").status_code == 404
    assert client.get(f"/office/{office.id}/receipts/printing/{job_id}/print").status_code == 404
    other_accountant(demo, client)
    for path in (f"/office/{office.id}/receipts/printing/{job_id}",
                 f"/office/{office.id}/receipts/printing/{job_id}/download"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/office/{office.id}/receipts/2026-10/print").status_code == 404
    assert printings(demo) == [(job_id, "done"), (theirs.id, "done")]
    client.post("/office/logout")
    r = client.get(f"/office/{office.id}/receipts/printing/{job_id}/download")
    assert r.status_code == 302 and "/office/login" in r.headers["Location"]


def test_printing_needs_a_post(office, client, house, demo):
    assert client.get(f"/office/{office.id}/receipts/2026-10/print").status_code == 405
    assert printings(demo) == []


def test_cli_writes_the_offices_zip(demo, house, tmp_path):
    demo.config["RECEIPTS_PAGES_PER_FILE"] = 3
    out = tmp_path / "house.zip"
    with demo.app_context():
        hoa_id = Hoa.get(Hoa.prefixes == "10").id
    result = demo.test_cli_runner().invoke(
        args=["receipts", "--hoa", str(hoa_id), "--period", "2026-10", "-o", str(out)])
    assert result.exit_code == 0, result.output
    files = unzip(out.read_bytes())
    assert [receipts_in(pdf) for _name, pdf in files] == [house[:2], house[2:]]


def test_printings_older_than_a_week_are_forgotten(office, client, house, demo):
    job_id = start(client, office.id)
    with demo.app_context():
        house_receipts.forget_old_printings()
        assert HouseReceiptsFile.select().count() == 1  # a fresh one stays
        HouseReceipts.update(touched_at=datetime(2020, 1, 1)).execute()
        house_receipts.forget_old_printings()
        assert not HouseReceipts.select().exists() and not HouseReceiptsChunk.select().exists()
    assert client.get(f"/office/{office.id}/receipts/printing/{job_id}").status_code == 404


def test_remembered_string_widths_follow_font_style_and_size():
    from fpdf import FPDF
    from receipt_pdf import FONT, ReceiptPdf
    pdf = ReceiptPdf()
    for style, size in (("", 9), ("B", 9), ("", 12), ("B", 7), ("", 9)):
        pdf.set_font(FONT, style, size)
        for text in ("Лицевой счёт", "4 512,30 ₽", "ИТОГО К ОПЛАТЕ"):
            assert pdf.get_string_width(text) == FPDF.get_string_width(pdf, text)
    assert len(pdf._widths) == 12  # the fifth font was seen already

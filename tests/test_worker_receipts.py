"""The house's receipts through a real worker process: started by the office, watched on the
self-refreshing page, downloaded; and a worker killed with SIGKILL in the middle of it."""
import io
import re
import zipfile
from decimal import Decimal

from factories import OCT, SERVICES
from test_receipts import pdf_pages_text_fast
from test_worker import Worker, queue_app, wait_for, workers  # noqa: F401 (a fixture)

import house_receipts
from models import Account, Accountant, AccountantHoa, Charge, Hoa, MonthBalance, db
from receipt_files import HouseReceipts, HouseReceiptsFile

NUMBER = re.compile(r"Лицевой счёт\s*(\d+)")


def big_house(app, count):
    """`count` accounts of «Рассвет» with October charges, numbered in address order: 50 flats
    a house, so that flat 10 comes after flat 9 and house 2 after house 1."""
    with app.app_context(), db.atomic():
        hoa = Hoa.get(Hoa.prefixes == "10")
        Account.delete().where(Account.hoa == hoa).execute()
        Account.insert_many([dict(number=f"10{n:04d}", hoa=hoa, owner="Иванова Анна",
                                  address=f"г. Самара, ул. Тестовая, д. {1 + n // 50}",
                                  apartment=str(n % 50 + 1)) for n in range(count)]).execute()
        ids = [a.id for a in Account.select(Account.id).where(Account.hoa == hoa)]
        Charge.insert_many([dict(account=i, period=OCT, service=s, unit=u, volume=Decimal(v),
                                 tariff=Decimal(t), amount=(Decimal(v) * Decimal(t)).quantize(
                                     Decimal("0.01")))
                            for i in ids for s, u, v, t in SERVICES]).execute()
        MonthBalance.insert_many([dict(account=i, period=OCT, opening_balance=Decimal("10"))
                                  for i in ids]).execute()
        accountant = Accountant(email="buh@rassvet.example")
        accountant.set_password("office-pass-1")
        accountant.save()
        AccountantHoa.create(accountant=accountant, hoa=hoa)
        return hoa.id, [f"10{n:04d}" for n in range(count)]


def office_client(app):
    client = app.test_client()
    r = client.post("/office/login", data={"email": "buh@rassvet.example",
                                           "password": "office-pass-1"})
    assert r.status_code == 302
    return client


def printing(app, job_id):
    with app.app_context():
        return HouseReceipts.get_by_id(job_id)


def stored_files(app, job_id):
    with app.app_context():
        return [(f.id, f.part) for f in HouseReceiptsFile.select()
                .where(HouseReceiptsFile.job == job_id).order_by(HouseReceiptsFile.id)]


def receipts_in_zip(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [[NUMBER.search(text).group(1)
                 for text in pdf_pages_text_fast(archive.read(name))]
                for name in archive.namelist()]


def test_office_starts_watches_and_downloads_through_the_worker(tmp_path, workers):
    app = queue_app(tmp_path, RECEIPTS_PAGES_PER_FILE=20)
    hoa_id, numbers = big_house(app, 60)
    client = office_client(app)
    r = client.post(f"/office/{hoa_id}/receipts/2026-10/print")
    assert r.status_code == 302
    page_url = r.headers["Location"]
    html = client.get(page_url).get_data(as_text=True)
    assert 'data-state="queued"' in html and 'http-equiv="refresh"' in html  # no worker yet
    # the press did not read the month's data (seconds in a big house): the worker does
    assert printing(app, int(page_url.rsplit("/", 1)[1])).fingerprint == ""
    workers.append(Worker(app, tmp_path / "worker.log", RECEIPTS_PAGES_PER_FILE=20))
    seen = []

    def finished():
        html = client.get(page_url).get_data(as_text=True)
        found = re.search(r"Готово квитанций: (\d+) из (\d+)", html)
        if found:
            seen.append((int(found[1]), int(found[2]), 'http-equiv="refresh"' in html))
        return 'data-state="done"' in html and html

    html = wait_for(finished, timeout=120, what="the printing")
    assert seen and all(total == 60 and refresh for _done, total, refresh in seen)
    assert any(0 < done < 60 for done, _total, _refresh in seen), seen  # progress was shown
    assert "http-equiv" not in html and "в 3 файла" in html
    link = re.search(r'data-download href="([^"]+)"', html).group(1)
    r = client.get(link)
    assert r.mimetype == "application/zip"
    assert receipts_in_zip(r.data) == [numbers[:20], numbers[20:40], numbers[40:]]
    # pressed again with the data unchanged: the same printing, nothing drawn again
    before = stored_files(app, int(page_url.rsplit("/", 1)[1]))
    assert client.post(f"/office/{hoa_id}/receipts/2026-10/print").headers["Location"] \
        == page_url
    assert stored_files(app, int(page_url.rsplit("/", 1)[1])) == before


def test_worker_killed_mid_printing_the_next_one_finishes_it_once_and_whole(tmp_path,
                                                                           workers):
    app = queue_app(tmp_path, RECEIPTS_PAGES_PER_FILE=10)
    hoa_id, numbers = big_house(app, 100)
    client = office_client(app)
    first = Worker(app, tmp_path / "worker-1.log", RECEIPTS_PAGES_PER_FILE=10, RECEIPTS_LEASE=3)
    workers.append(first)
    job_id = int(client.post(f"/office/{hoa_id}/receipts/2026-10/print")
                 .headers["Location"].rsplit("/", 1)[1])
    wait_for(lambda: len(stored_files(app, job_id)) >= 2, timeout=120, what="two slices")
    first.kill()
    kept = stored_files(app, job_id)
    job = printing(app, job_id)
    assert job.state == "running" and 2 <= len(kept) < 10 and job.attempt == 1
    assert 'data-state="running"' in client.get(f"/office/{hoa_id}/receipts/printing/{job_id}") \
        .get_data(as_text=True)
    workers.append(Worker(app, tmp_path / "worker-2.log", RECEIPTS_PAGES_PER_FILE=10,
                          RECEIPTS_LEASE=3))
    wait_for(lambda: printing(app, job_id).state == "done", timeout=120, what="the printing")
    job = printing(app, job_id)
    assert job.attempt == 2 and job.done == job.receipts == 100
    files = stored_files(app, job_id)
    assert files[:len(kept)] == kept  # the slices stored before the kill were not drawn again
    assert sorted(part for _id, part in files) == list(range(10))
    # one more run for the same printing (another worker's start, say) changes nothing
    with app.app_context():
        house_receipts.print_house(job_id)
    html = client.get(f"/office/{hoa_id}/receipts/printing/{job_id}").get_data(as_text=True)
    r = client.get(re.search(r'data-download href="([^"]+)"', html).group(1))
    assert receipts_in_zip(r.data) == [numbers[n:n + 10] for n in range(0, 100, 10)]
    assert stored_files(app, job_id) == files and printing(app, job_id).attempt == 2

"""Confirming a load through a real worker process: the progress page, a worker killed in the
middle of saving, and a confirmation reaching another app server on the same database."""
import re
from datetime import date

from testdb import make_app
from importruns import ImportMonth, ImportRun
from models import Accountant, AccountantHoa, Charge, Hoa, ImportLog
from uploads import ImportJob
from uploading import CHARGES_HEADER, text, upload
from test_worker import Worker, queue_app, wait_for, workers  # noqa: F401 (a fixture)

ROWS = 3000  # 40 accounts × 75 services of one month


def charges_file():
    rows = "".join(f"12.2026;{100001 + n % 40};Услуга {n // 40};м³;1;10;10,00;0;0\n"
                   for n in range(ROWS))
    return ("charges.csv", (CHARGES_HEADER + rows).encode())


def log_in(app, client):
    with app.app_context():
        hoa = Hoa.get(Hoa.prefixes == "10")
        if not Accountant.select().where(Accountant.email == "buh@rassvet.example").exists():
            accountant = Accountant(email="buh@rassvet.example", name="Анна Викторовна")
            accountant.set_password("office-pass-1")
            accountant.save()
            AccountantHoa.create(accountant=accountant, hoa=hoa)
    assert client.post("/office/login", data={"email": "buh@rassvet.example",
                                              "password": "office-pass-1"}).status_code == 302
    return hoa


def december(app):
    with app.app_context():
        return (Charge.select().where(Charge.period == date(2026, 12, 1)).count(),
                ImportLog.select().where(ImportLog.filename == "charges.csv").count())


def loads(app):
    """The loads that could be undone, and the months they replaced."""
    with app.app_context():
        return ImportRun.select().count(), ImportMonth.select().count()


def job_page(response):
    assert response.status_code == 302, text(response)[:500]
    assert re.search(r"/import/jobs/[0-9]+$", response.headers["Location"])
    return response.headers["Location"]


def test_a_confirmed_load_is_saved_by_the_worker_while_its_page_shows_progress(tmp_path,
                                                                               workers):
    app = queue_app(tmp_path)
    client = app.test_client()
    hoa = log_in(app, client)
    assert upload(client, hoa, charges_file()).status_code == 200
    page = job_page(client.post(f"/office/{hoa.id}/import/confirm"))
    waiting = client.get(page)  # no worker yet: the job waits, the page reloads itself
    assert waiting.status_code == 200 and 'data-state="queued"' in waiting.get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in waiting.get_data(as_text=True)
    assert "Файлы ждут своей очереди" in text(waiting)
    assert december(app) == (0, 0)
    workers.append(Worker(app, tmp_path / "worker.log"))
    done = wait_for(lambda: client.get(page).status_code == 302, what="the saving")
    assert done
    result = client.get(page, follow_redirects=True)
    assert "Данные сохранены: charges.csv." in text(result)
    assert december(app) == (ROWS, 1)


def test_a_worker_killed_while_saving_leaves_nothing_and_the_next_saves_it_once(tmp_path,
                                                                               workers):
    app = queue_app(tmp_path)
    client = app.test_client()
    hoa = log_in(app, client)
    loaded = loads(app)
    assert upload(client, hoa, charges_file()).status_code == 200
    page = job_page(client.post(f"/office/{hoa.id}/import/confirm"))
    # the first worker writes every row, then waits before its commit, and is killed there
    first = Worker(app, tmp_path / "worker-1.log", IMPORT_PAUSE_BEFORE_COMMIT=60)
    workers.append(first)
    wait_for(lambda: b"saving 3000 rows" in (tmp_path / "worker-1.log").read_bytes(),
             what="the first worker's saving")
    # every row is written, not committed: the page counts them from the queue's storage
    saving = wait_for(lambda: (lambda r: "Записано строк: 3000 из 3000" in text(r) and r)(
        client.get(page)), what="the rows written shown")
    assert 'data-state="running"' in saving.get_data(as_text=True)
    assert 'data-saved="3000" data-total="3000"' in saving.get_data(as_text=True)
    first.kill()
    assert december(app) == (0, 0)  # never half
    with app.app_context():
        assert ImportJob.get().state == "running"
        assert loads(app) == loaded  # nor a load of it to undo
    # its lease (15 minutes) has not ended, but the next worker sees it is gone
    workers.append(Worker(app, tmp_path / "worker-2.log"))
    wait_for(lambda: client.get(page).status_code == 302, what="the second worker's saving")
    assert "Данные сохранены: charges.csv." in text(client.get(page, follow_redirects=True))
    assert december(app) == (ROWS, 1)  # exactly once
    with app.app_context():
        job = ImportJob.get()
        assert (job.state, job.attempts, job.rows_done) == ("done", 2, ROWS)
    # one load to undo, not two, with December of charges and of balances
    assert loads(app) == (loaded[0] + 1, loaded[1] + 2)


def test_a_confirmation_reaching_another_app_server_finds_the_upload(tmp_path):
    first = make_app(tmp_path, data="demo")
    second = make_app(tmp_path, data="demo")  # another server on the same database
    assert first is not second and first.config["DATABASE"] == second.config["DATABASE"]
    client = first.test_client()
    hoa = log_in(first, client)
    assert upload(client, hoa, charges_file()).status_code == 200
    other = second.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    response = other.post(f"/office/{hoa.id}/import/confirm", follow_redirects=True)
    assert "Данные сохранены: charges.csv." in text(response)
    assert december(second) == (ROWS, 1)

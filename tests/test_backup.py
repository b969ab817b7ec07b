"""Backups taken while the site writes restore to a sound database holding every committed row."""
import sqlite3
import threading
import time
from pathlib import Path

from backup import backup_database
from testdb import sqlite_only
from models import AuditEvent, Hoa, db


def rows_in(path):
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {row[0] for row in con.execute("SELECT id FROM auditevent")}
    finally:
        con.close()


@sqlite_only
def test_backup_during_writes(app, tmp_path):
    committed = []  # ids whose transaction has committed, in order
    stop = threading.Event()

    def writer():
        with app.app_context():
            while not stop.is_set():
                with db.atomic():
                    event = AuditEvent.record("login_failed", "10.9.9.9", account_number="100001",
                                              detail="x" * 200)
                committed.append(event.id)
            db.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while len(committed) < 50:
            assert thread.is_alive() and time.monotonic() < deadline, "the writer stopped"
            time.sleep(0.01)
        taken = []
        for _ in range(5):
            before = len(committed)
            path = backup_database(app.config["DATABASE"], tmp_path / "backups")
            after = len(committed)
            taken.append((path, before, after))
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join()
    checked = 0
    for path, before, after in taken:
        restored = rows_in(path)
        assert set(committed[:before]) <= restored  # every row committed before the copy began
        assert restored <= set(committed[:after + 1])  # nothing that was never committed
        checked += len(restored)
    assert len(committed) > taken[0][1]  # the writer really kept writing during the copies
    assert checked > 250
    print(f"backup test: {len(committed)} rows written, {len(taken)} backups, "
          f"{checked} rows checked")


@sqlite_only
def test_restored_copy_serves_the_site(demo, tmp_path, resident, outbox):
    from testdb import make_app
    resident.register()
    path = backup_database(demo.config["DATABASE"], tmp_path / "backups")
    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    (restored_dir / "domkom.db").write_bytes(path.read_bytes())
    app = make_app(restored_dir)
    with app.app_context():  # so that a second registration without the code is let through
        Hoa.update(registration_check="none").execute()
    client = app.test_client()
    r = client.post("/register", data={"account": "100001", "email": "x@example.ru",
                                       "consent": "y"})
    assert 'data-outcome="pending"' in r.get_data(as_text=True)  # the registration came along


@sqlite_only
def test_cli_keeps_the_newest(app, runner, tmp_path):
    folder = tmp_path / "backups"
    outputs = [runner.invoke(args=["backup", str(folder), "--keep", "2"]) for _ in range(4)]
    assert all(r.exit_code == 0 for r in outputs), outputs[0].output
    kept = sorted(p.name for p in folder.glob("domkom-*.db"))
    newest = [Path(r.output.split(" (")[0]).name for r in outputs[-2:]]
    assert kept == newest
    assert list(folder.glob("*.part")) == []
    assert (folder / kept[0]).stat().st_mode & 0o077 == 0


def test_cli_refuses_a_missing_database(tmp_path):
    from testdb import make_app
    app = make_app(tmp_path)
    app.config["DATABASE"] = str(tmp_path / "nothing.db")
    r = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b")])
    assert r.exit_code != 0 and "no database" in r.output

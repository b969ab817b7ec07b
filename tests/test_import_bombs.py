"""Hostile uploads: spreadsheet bombs are refused with a message naming the file, reading any
upload stays within bounded memory, and files waiting for confirmation are bounded."""
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

import bombs
import importer
from models import Account, now
from uploads import ImportSlot, PendingFile, PendingUpload
from uploading import CHARGES_HEADER, bad, problems, text, upload

ROOT = Path(__file__).resolve().parent.parent

REFUSED = {
    "inflated": (lambda: bombs.inflated(300), "распаковывается в 299 МБ"),
    "far_column": (bombs.far_column, "ячейки в столбце XFD"),
    "many_cells": (bombs.many_cells, "больше 500 000 ячеек"),
    "far_row": (bombs.far_row, "больше строк, чем допускает Excel"),
    "tight": (bombs.long_text, "сжата необычно сильно"),
    "long_text": (lambda: bombs.long_text(2, varied=True), "текст намного длиннее"),
}


@pytest.mark.parametrize("kind", REFUSED)
def test_spreadsheet_bombs_are_refused_naming_the_file(office, client, demo, kind):
    build, message = REFUSED[kind]
    name = f"{kind}.xlsx"
    response = bad(client, office, demo, (name, build()))
    found = problems(response)
    assert len(found) == 1 and found[0][0] == name and message in found[0][3], found


def test_a_csv_with_more_cells_than_an_export_has_is_refused(office, client, demo):
    rows = "".join(f"10.2026;{100001 + n % 40};Услуга {n};м³;1;1;1;0;0\n" for n in range(60000))
    response = bad(client, office, demo, ("huge.csv", (CHARGES_HEADER + rows).encode()))
    assert problems(response)[0][0] == "huge.csv"
    assert "больше 500 000 ячеек" in problems(response)[0][3]


CHILD = """
import json, resource, sys, time
from app import create_app
from importfiles import parse_file
app = create_app({"TESTING": True, "DATABASE": sys.argv[1], "SECRET_KEY": "x"})
with app.test_request_context():
    parse_file("warm-up.xlsx", open(sys.argv[2], "rb").read(), [])
    idle = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    data = open(sys.argv[3], "rb").read()
    started, problems = time.monotonic(), []
    parsed = parse_file("file.xlsx", data, problems)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - idle
    print(json.dumps({"rows": len(parsed.rows), "problems": [str(p) for p in problems],
                      "seconds": time.monotonic() - started, "grown_mb": grown / 1024}))
"""
MEASURED = {
    "inflated": lambda: bombs.inflated(300),
    "far_column": bombs.far_column,  # 2 000 rows × 16 384 columns read as they are: > 250 MB
    "many_cells": bombs.many_cells,
    "large_export": lambda: bombs.legit(40000),
}


@pytest.mark.parametrize("kind", MEASURED)
def test_reading_an_upload_stays_within_bounded_memory(tmp_path, kind):
    """Peak memory of a fresh process reading the file, above its size after a small file."""
    (tmp_path / "small.xlsx").write_bytes(bombs.legit(10))
    (tmp_path / "file.xlsx").write_bytes(MEASURED[kind]())
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "m.db"), str(tmp_path / "small.xlsx"),
         str(tmp_path / "file.xlsx")], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 0, result.stderr[-2000:]
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert measured["grown_mb"] < 200, measured
    assert time.monotonic() - started < 120, measured
    if kind == "large_export":
        assert measured["rows"] == 40000 and not measured["problems"]
    else:
        assert measured["problems"], measured


# --- uploads waiting between the preview and the confirmation ----------------------------

def pending_of(app, owner=None):
    with app.test_request_context():
        return list(importer.pending(owner))


def test_an_accountant_keeps_at_most_two_uploads_waiting(demo):
    with demo.test_request_context():
        tokens = [importer.stash([("a.csv", b"x" * 1000)], owner=7) for _ in range(3)]
        other = importer.stash([("b.csv", b"y")], owner=8)
        assert importer.unstash(tokens[0]) is None  # the oldest was dropped
        assert importer.unstash(tokens[1]) and importer.unstash(tokens[2])
        assert importer.unstash(other) == [("b.csv", b"y")]
    assert len(pending_of(demo, 7)) == 2 and len(pending_of(demo)) == 3


def test_an_upload_over_the_servers_room_is_refused_with_a_message(office, client, demo):
    demo.config["IMPORT_PENDING_MAX_BYTES"] = 5000
    with demo.test_request_context():
        importer.stash([("other.csv", b"z" * 4000)], owner=999)
    accounts = "Лицевой счёт;Адрес\n" + "".join(f"{100001 + n};ул. Солнечная, д. 12\n"
                                                for n in range(100))
    response = upload(client, office, ("accounts.csv", accounts.encode()))
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "слишком много загрузок, ожидающих подтверждения" in text(page)
    assert len(pending_of(demo)) == 1  # only the other accountant's
    assert client.post(f"/office/{office.id}/import/confirm").status_code == 302
    with demo.app_context():
        assert Account.select().where(Account.number == "100100").count() == 0


def test_stale_uploads_are_removed(demo):
    with demo.test_request_context():
        old = importer.stash([("a.csv", b"x")], owner=7)
        past = now() - timedelta(hours=importer.STASH_HOURS + 1)
        PendingUpload.update(created_at=past).where(PendingUpload.token == old).execute()
        importer.stash([("b.csv", b"y")], owner=8)
        assert importer.unstash(old) is None
        assert not PendingUpload.select().where(PendingUpload.token == old).exists()
        assert PendingFile.select().count() == 1


def test_a_load_waits_while_every_place_for_checking_is_taken(office, client, demo):
    """Big files keep a worker busy: at most IMPORT_CONCURRENT loads are checked at once."""
    demo.config["IMPORT_CONCURRENT"] = 1
    accounts = "Лицевой счёт;Адрес\n100001;ул. Солнечная, д. 12, корпус 2\n".encode()
    with demo.test_request_context():
        with importer.slot() as free:  # another worker checking a file
            assert free
            response = upload(client, office, ("accounts.csv", accounts))
            assert response.status_code == 302
            page = client.get(response.headers["Location"])
            assert "Сейчас проверяются другие файлы" in text(page)
            assert pending_of(demo) == []
    assert upload(client, office, ("accounts.csv", accounts)).status_code == 200
    with demo.test_request_context():
        with importer.slot():
            assert client.post(f"/office/{office.id}/import/confirm").status_code == 302
    with demo.app_context():
        assert Account.get(Account.number == "100001").address != "ул. Солнечная, д. 12, корпус 2"
    assert client.post(f"/office/{office.id}/import/confirm").status_code == 302
    with demo.app_context():
        assert Account.get(Account.number == "100001").address == "ул. Солнечная, д. 12, корпус 2"


def test_a_place_held_by_a_process_killed_midway_is_free_after_its_lease(demo):
    demo.config["IMPORT_CONCURRENT"] = 1
    with demo.test_request_context():
        assert importer.take_slot("killed-request", 120) == 0  # never given back
        assert not importer.slot_free()
        with importer.slot() as free:
            assert not free
        with importer.slot("job-7") as free:
            assert not free
        ImportSlot.update(until=now() - timedelta(seconds=1)).execute()
        assert importer.slot_free()
        with importer.slot("job-7") as free:
            assert free and not importer.slot_free()
            importer.take_slot("job-7", 900)  # the same job on the next worker takes it back
        assert importer.slot_free()

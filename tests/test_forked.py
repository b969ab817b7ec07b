"""Receipts are drawn in a render process beside the worker, so the web worker never loads fpdf2.

The functions a child runs are at module level: they travel to it pickled, by name."""
import io
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from factories import OCT, figures, resident_a  # noqa: F401
from pypdf import PdfReader
from test_receipts import qr_payloads

import forked
from models import Account, Hoa

ROOT = Path(__file__).resolve().parent.parent
# what tells two drawings of one document apart: the moment and the file ID made from it
CREATED = re.compile(rb"/CreationDate \(D:[0-9Z+\-']+\)|/ID \[<[0-9A-F]+><[0-9A-F]+>\]")


def pdf_bytes(text):
    return ("%PDF " + text).encode()


def same(data):
    return data


def broken():
    raise ValueError("no font")


def count_accounts():
    return str(Account.select().count()).encode()


def test_the_childs_bytes_come_back_whole(app):
    with app.app_context():
        big = os.urandom(3 * 1024 * 1024)  # larger than any pipe buffer
        assert forked.run(same, big) == big
        assert forked.run(pdf_bytes, "ок") == pdf_bytes("ок")


def test_a_failure_in_the_child_is_an_error_in_the_parent(app):
    with app.app_context():
        with pytest.raises(RuntimeError, match="child process failed"):
            forked.run(broken)
        assert forked.run(pdf_bytes, "after") == pdf_bytes("after")  # the worker goes on


def test_the_child_cannot_use_the_parents_connection_unless_it_opens_its_own(demo):
    with demo.app_context():
        with pytest.raises(RuntimeError):
            forked.run(count_accounts)
        assert forked.run(count_accounts, database=True) == b"40"
        assert Account.select().count() == 40  # the parent's connection still works
        assert Hoa.select().count() == 2


def test_a_child_that_hangs_is_killed(app):
    import time
    with app.app_context():
        with pytest.raises(TimeoutError):
            forked.run(time.sleep, 30, timeout=0.5)


def test_the_receipt_is_the_same_drawn_in_a_child_or_in_the_worker(demo, resident_a):  # noqa: F811
    drawn = {}
    for in_child in (True, False):
        demo.config["RENDER_IN_CHILD"] = in_child
        response = resident_a.get(f"/cabinet/receipts/{OCT:%Y-%m}.pdf")
        assert response.status_code == 200
        assert response.data.startswith(b"%PDF")
        drawn[in_child] = response.data
    child, worker = (PdfReader(io.BytesIO(drawn[key])) for key in (True, False))
    assert [page.extract_text() for page in child.pages] == \
        [page.extract_text() for page in worker.pages]
    assert "100001" in child.pages[0].extract_text()
    assert qr_payloads(drawn[True]) == qr_payloads(drawn[False]) != [None]
    # the same document, but for the moment it was made
    assert CREATED.sub(b"", drawn[True]) == CREATED.sub(b"", drawn[False])


def test_a_worker_never_loads_the_pdf_code(tmp_path):
    """A fresh process (as a gunicorn worker is) serves a receipt: fpdf2 stays out of it."""
    script = textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'tests')!r}]
        import factories, testdb
        app = testdb.make_app(__import__("pathlib").Path({str(tmp_path)!r}))
        with app.app_context():
            import demo
            demo.load(echo=lambda *a: None, files=("accounts.csv",))
        factories.load_statements(app)
        client = app.test_client()
        with app.app_context():
            factories.login_as(client, "100001")
        response = client.get("/cabinet/receipts/{OCT:%Y-%m}.pdf")
        assert response.status_code == 200 and response.data.startswith(b"%PDF"), response.status_code
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("fpdf", "fontTools", "PIL")))
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env=dict(os.environ))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def render_pids():
    return f"{os.getpid()} {os.getppid()}".encode()


def test_the_render_process_and_its_fork_server_go_with_a_killed_worker(tmp_path):
    """gunicorn SIGKILLs a worker that overruns its timeout: nothing of it may stay behind."""
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'tests')!r}]
        import forked, test_forked, testdb
        # a database of its own, not the session's template: this process leaves no exit hook
        app = testdb.make_app(__import__("pathlib").Path({str(tmp_path)!r}),
                              DATABASE={str(tmp_path / "killed.db")!r})
        with app.app_context():
            print(forked.run(test_forked.render_pids).decode(), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env=dict(os.environ))
    assert out.returncode == -signal.SIGKILL, out.stderr[-2000:]
    pids = [int(pid) for pid in out.stdout.split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in pids if Path(f"/proc/{pid}").exists()]

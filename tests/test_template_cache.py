"""Templates compiled once when gunicorn starts, by a child of its master (template_cache.py):
the workers load them compiled, a changed template is compiled anew, a broken one is left to
the page that uses it, and the folder goes with the server."""
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from helpers import ROOT, free_port
from testdb import make_app
from flask import Flask, render_template

import template_cache

GUNICORN = Path(sys.executable).with_name("gunicorn")


def count_compiles(app, monkeypatch):
    compiled = []
    original = app.jinja_env.compile

    def compile(source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return original(source, name, filename, raw, defer_init)
    monkeypatch.setattr(app.jinja_env, "compile", compile)
    return compiled


def test_every_template_is_compiled_beforehand_and_the_pages_compile_none(tmp_path, demo,
                                                                          monkeypatch):
    folder, compiled = template_cache.precompile(demo)
    try:
        names = demo.jinja_env.list_templates()
        assert compiled == len(names) > 100
        assert len(list(Path(folder).glob("*.cache"))) == compiled
        assert "base.html" in names and "cabinet/home.html" in names
        seen = count_compiles(demo, monkeypatch)
        client = demo.test_client()
        for path in ("/", "/login", "/register", "/help", "/no-such-page"):
            assert client.get(path).status_code in (200, 404)
        assert seen == []  # every page came from the compiled folder
    finally:
        shutil.rmtree(folder)


def small_app(tmp_path, templates):
    folder = tmp_path / "templates"
    folder.mkdir()
    for name, text in templates.items():
        (folder / name).write_text(text)
    return Flask("small", template_folder=str(folder)), folder


def test_a_template_changed_after_the_start_is_compiled_anew(tmp_path, monkeypatch):
    app, templates = small_app(tmp_path, {"page.html": "первая {{ n }}"})
    folder, compiled = template_cache.precompile(app)
    assert compiled == 1
    (templates / "page.html").write_text("вторая {{ n }}")
    seen = count_compiles(app, monkeypatch)
    with app.app_context():
        assert render_template("page.html", n=2) == "вторая 2"
    assert seen == ["page.html"]
    shutil.rmtree(folder)


def test_a_broken_template_is_left_to_the_page_that_uses_it(tmp_path, capfd):
    app, _templates = small_app(tmp_path, {"good.html": "{{ 1 + 1 }}",
                                           "broken.html": "{% if %}"})
    folder, compiled = template_cache.precompile(app)
    assert compiled == 1  # the good one; the broken one did not stop it
    assert "broken.html" in capfd.readouterr().err
    with app.app_context():
        assert render_template("good.html") == "2"
        with pytest.raises(Exception, match="Expected an expression"):
            render_template("broken.html")
    shutil.rmtree(folder)


def test_gunicorn_with_the_deploy_settings_compiles_them_once_and_removes_them(tmp_path):
    app = make_app(tmp_path, "demo")
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "DOMKOM_DATABASE": app.config["DATABASE"],
           "DOMKOM_SECRET_KEY": "template-test-secret", "DOMKOM_MAIL_SERVER": "",
           "DOMKOM_MAIL_OUTBOX": app.config["MAIL_OUTBOX"],
           "DOMKOM_QUEUE_URL": str(tmp_path / "queue.db"), "GUNICORN_ACCESSLOG": ""}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "--workers", "2",
             "--bind", f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 30
        while True:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
                break
            except OSError:
                if time.time() > deadline or process.poll() is not None:
                    pytest.fail("gunicorn did not start:\n" + log.read_text())
                time.sleep(0.2)
        assert "Рассвет".encode() in page or b"Domkom" in page
        started = [line for line in log.read_text().splitlines()
                   if "Templates compiled for the workers" in line]
        assert len(started) == 1, log.read_text()
        count, folder = started[0].rsplit(": ", 1)[1].split(", in ")
        assert int(count) > 100
        assert len(list(Path(folder).glob("*.cache"))) == int(count)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    assert not Path(folder).exists()

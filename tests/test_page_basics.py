"""What browsers and auditing tools expect of every page: an icon, a description, compressed
text, tables that scroll by keyboard, and a landing page that shows no HOA's notices."""
import gzip
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from app import ROOT
from conftest import free_port
from models import Hoa, Notice

TEMPLATES = ROOT / "templates"


def test_the_favicon_is_served_and_named_by_every_page(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    html = client.get("/login").get_data(as_text=True)
    assert re.search(r'<link rel="icon" href="/static/favicon.ico', html)


def test_every_page_has_a_description(client):
    for path in ("/", "/login", "/privacy", "/office/login"):
        html = client.get(path).get_data(as_text=True)
        description = re.search(r'<meta name="description" content="([^"]+)">', html)
        assert description and "кабинет" in description.group(1).lower(), path


def test_nginx_compresses_text_and_serves_the_icon():
    conf = (ROOT / "deploy" / "nginx-domkom.conf").read_text()
    assert re.search(r"^\s*gzip on;", conf, re.MULTILINE)
    types = re.search(r"gzip_types([^;]+);", conf).group(1).split()
    assert {"text/css", "text/javascript", "application/javascript", "image/svg+xml"} <= set(types)
    assert "location = /favicon.ico" in conf


def test_every_scrolling_table_can_be_reached_by_keyboard_and_is_named():
    for path in TEMPLATES.rglob("*.html"):
        for wrapper in re.findall(r'<div class="table-responsive"[^>]*>', path.read_text()):
            assert 'tabindex="0"' in wrapper and "aria-label=" in wrapper, (path, wrapper)
        assert "<th></th>" not in path.read_text(), path


def test_the_landing_page_shows_no_hoa_notices(demo, client):
    with demo.app_context():
        Notice.create(hoa=Hoa.get(Hoa.prefixes == "10"), title="Отключение воды в доме 12",
                      body="Квартиры 1–40", starts_on="2026-01-01")
    html = client.get("/").get_data(as_text=True)
    assert "Отключение воды" not in html and "Поверка счётчиков" not in html
    assert "Объявления вашего товарищества — в личном кабинете после входа." in html


@pytest.fixture
def nginx(tmp_path):
    """Debian's nginx with the gzip settings of deploy/nginx-domkom.conf, serving static/."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        pytest.skip("nginx is not installed")
    conf = (ROOT / "deploy" / "nginx-domkom.conf").read_text()
    settings = "\n".join(re.findall(r"^\s*gzip\w*\s[^;]+;", conf, re.MULTILINE))
    port = free_port()
    (tmp_path / "nginx.conf").write_text(f"""
        daemon off; pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;
        events {{}}
        http {{
            include /etc/nginx/mime.types; access_log off;
            client_body_temp_path {tmp_path}; proxy_temp_path {tmp_path};
            fastcgi_temp_path {tmp_path}; uwsgi_temp_path {tmp_path}; scgi_temp_path {tmp_path};
            {settings}
            server {{ listen 127.0.0.1:{port}; location /static/ {{ alias {ROOT}/static/; }} }}
        }}""")
    process = subprocess.Popen([binary, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                               stderr=subprocess.PIPE)
    for _attempt in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def test_nginx_sends_text_compressed(nginx):
    request = urllib.request.Request(nginx + "/static/domkom.css",
                                     headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert b".money" in gzip.decompress(response.read())

"""What browsers and auditing tools expect of every page: an icon, a description, compressed
static text (served so by the real nginx in test_deploy_site.py), tables that scroll by keyboard,
and a landing page that shows no HOA's notices."""
import re

from app import ROOT
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
    for path in [*TEMPLATES.rglob("*.html"), *ROOT.glob("*/templates/**/*.html")]:
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

"""Requests' attachments are personal data: redrawn without GPS, bombs and fakes refused with
the Russian message and nothing saved, served to no one but the resident and that HOA's
accountants, never cached, and brought back by a restored backup. Another resident's or
another HOA's request is a 404, whatever id or token is tried."""
import io
import re

import pytest
from PIL import Image

from testdb import make_app, sqlite_only
from factories import login_as
from images import GPS_IFD, minimal_pdf, photo_with_gps, png_bomb
from models import Accountant, AccountantHoa, Hoa
from storedfiles import StoredFile
from tickets.models import Ticket, TicketAttachment


def file_request(client, files, text="Протечка с потолка в ванной"):
    return client.post("/cabinet/requests/new", content_type="multipart/form-data", data={
        "category": "сантехника", "text": text,
        "files": [(io.BytesIO(body), name) for name, body in files]})


@pytest.fixture
def filed(demo, office):
    """A request of 100001 with a photo and a PDF; `client` is the demo HOA's accountant."""
    resident = demo.test_client()
    with demo.app_context():
        login_as(resident, "100001")
    r = file_request(resident, [("IMG_0042.jpg", photo_with_gps()), ("акт.pdf", minimal_pdf())])
    assert r.status_code == 302
    with demo.app_context():
        ticket = Ticket.get()
        tokens = {a.stored.name: a.stored.token for a in ticket.attachments()}
    return {"hoa": office, "resident": resident, "ticket": ticket.id, "tokens": tokens}


def test_the_photo_read_back_through_its_link_has_no_gps(filed, client):
    resident, ticket = filed["resident"], filed["ticket"]
    page = resident.get(f"/cabinet/requests/{ticket}").get_data(as_text=True)
    links = re.findall(r'src="(/cabinet/requests/\d+/files/[^"]+)"', page)
    assert len(links) == 1
    r = resident.get(links[0])
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/jpeg"
    assert "no-store" in r.headers["Cache-Control"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    image = Image.open(io.BytesIO(r.data))
    assert image.format == "JPEG" and not image.getexif().get_ifd(GPS_IFD)
    assert len(image.getexif()) == 0 and b"Phone X" not in r.data
    # the office reads the same bytes through its own link
    hoa = filed["hoa"]
    token = filed["tokens"]["IMG_0042.jpg"]
    office_copy = client.get(f"/office/{hoa.id}/requests/{ticket}/files/{token}")
    assert office_copy.status_code == 200 and office_copy.data == r.data
    assert "no-store" in office_copy.headers["Cache-Control"]
    pdf = client.get(f"/office/{hoa.id}/requests/{ticket}/files/{filed['tokens']['акт.pdf']}")
    assert pdf.data.startswith(b"%PDF-") and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("name, body, message", [
    ("bomb.png", png_bomb(), "Изображение слишком большое"),
    ("leak.jpg", b"<html><script>alert(1)</script></html>" * 10,
     "Не удалось прочитать изображение"),
])
def test_a_bomb_or_a_fake_photo_is_refused_and_nothing_is_saved(demo, client, snapshot, name,
                                                               body, message):
    with demo.app_context():
        login_as(client, "100001")
    before = snapshot()
    r = file_request(client, [("fine.jpg", photo_with_gps()), (name, body)])
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)
    assert "Протечка с потолка в ванной" in r.get_data(as_text=True)  # the text is kept
    assert snapshot() == before
    with demo.app_context():
        assert StoredFile.select().count() == 0 and Ticket.select().count() == 0


def test_another_resident_sees_nothing_of_the_request(filed, demo):
    stranger = demo.test_client()
    with demo.app_context():
        login_as(stranger, "100002")
    ticket, token = filed["ticket"], filed["tokens"]["IMG_0042.jpg"]
    for path in (f"/cabinet/requests/{ticket}", f"/cabinet/requests/{ticket}/files/{token}"):
        assert stranger.get(path).status_code == 404
    for action, data in (("message", {"message-text": "чужое"}), ("reopen", {}),
                         ("rate", {"rating-rating": "1"})):
        assert stranger.post(f"/cabinet/requests/{ticket}/{action}", data=data).status_code == 404
    assert f'data-ticket="{ticket}"' not in stranger.get("/cabinet/requests").get_data(
        as_text=True)
    # the stranger's own request does not open the other's file with its token either
    file_request(stranger, [("mine.jpg", photo_with_gps(color=(0, 0, 255)))])
    with demo.app_context():
        own = Ticket.select().where(Ticket.id != ticket).get().id
    assert stranger.get(f"/cabinet/requests/{own}/files/{token}").status_code == 404
    assert stranger.get(f"/cabinet/requests/{own}/files/nonsense").status_code == 404
    # the owner cannot reach the stranger's file through the owner's own request
    with demo.app_context():
        other_token = TicketAttachment.get(TicketAttachment.ticket == own).stored.token
    assert filed["resident"].get(f"/cabinet/requests/{ticket}/files/{other_token}"
                                 ).status_code == 404
    assert stranger.get("/cabinet/requests/99999999999999999999").status_code == 404


def test_another_hoas_accountant_gets_404_and_residents_no_office_page(filed, demo):
    ticket, token = filed["ticket"], filed["tokens"]["IMG_0042.jpg"]
    with demo.app_context():
        other = Hoa.get(Hoa.prefixes == "20")
        accountant = Accountant(email="buh@polet.example")
        accountant.set_password("office-pass-2")
        accountant.save()
        AccountantHoa.create(accountant=accountant, hoa=other)
    outsider = demo.test_client()
    outsider.post("/office/login", data={"email": "buh@polet.example",
                                         "password": "office-pass-2"})
    hoa = filed["hoa"]
    for hoa_id in (hoa.id, other.id):  # neither the right HOA nor their own one's URL
        base = f"/office/{hoa_id}/requests/{ticket}"
        assert outsider.get(base).status_code == 404
        assert outsider.get(f"{base}/files/{token}").status_code == 404
        for action, data in (("reply", {"reply-text": "x"}), ("note", {"note-text": "x"}),
                             ("status", {"status-status": "done"}),
                             ("delete", {"delete-confirm": "y"})):
            assert outsider.post(f"{base}/{action}", data=data).status_code == 404
    assert outsider.get(f"/office/{hoa.id}/requests").status_code == 404
    own_list = outsider.get(f"/office/{other.id}/requests").get_data(as_text=True)
    assert f'data-ticket="{ticket}"' not in own_list
    with demo.app_context():
        assert Ticket.get_by_id(ticket).status == "new"
    # a resident is sent to the office's login, not shown the file
    r = filed["resident"].get(f"/office/{hoa.id}/requests/{ticket}/files/{token}")
    assert r.status_code == 302 and "/office/login" in r.headers["Location"]


@sqlite_only
def test_a_restored_backup_serves_the_attachment_again(filed, demo, tmp_path):
    """`flask backup`, then README's restore: the copy in place of the database."""
    ticket, token = filed["ticket"], filed["tokens"]["IMG_0042.jpg"]
    original = filed["resident"].get(f"/cabinet/requests/{ticket}/files/{token}").data
    result = demo.test_cli_runner().invoke(args=["backup", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    (copy,) = (tmp_path / "backups").glob("domkom-*.db")
    restored = tmp_path / "restored"
    restored.mkdir()
    (restored / "domkom.db").write_bytes(copy.read_bytes())
    app = make_app(restored)
    resident = app.test_client()
    r = resident.post("/login", data={"account": "100001", "password": "resident-pass-1"})
    assert r.status_code == 302
    served = resident.get(f"/cabinet/requests/{ticket}/files/{token}")
    assert served.status_code == 200 and served.data == original
    assert Image.open(io.BytesIO(served.data)).size == (64, 48)

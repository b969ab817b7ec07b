"""The HOA's documents: the office uploads, replaces and deletes PDFs (audited); residents of
that HOA read them; public ones are everyone's; nothing else is served to anyone."""
import io

import pytest

from documents.models import Document
from factories import login_as, make_resident
from images import minimal_pdf, png
from models import Account, Accountant, AccountantHoa, AuditEvent, Hoa
from storedfiles import StoredFile


def upload(client, hoa_id, data=None, name="ustav.pdf", **fields):
    form = {"title": "Устав ТСЖ «Рассвет»", "category": "charter", "dated": "2024-05-20",
            **fields}
    if data is not False:
        form["file"] = (io.BytesIO(minimal_pdf("Charter") if data is None else data), name)
    return client.post(f"/office/{hoa_id}/documents/new", data=form,
                       content_type="multipart/form-data")


def documents(app):
    with app.app_context():
        return [(d.title, d.category, d.public, bytes(d.file.data)[:5])
                for d in Document.select().order_by(Document.id)]


def stored_count(app):
    with app.app_context():
        return StoredFile.select().count()


def events(app, prefix="document_"):
    with app.app_context():
        return [e.event for e in AuditEvent.select().where(AuditEvent.event.startswith(prefix))
                .order_by(AuditEvent.id)]


def other_hoa(app):
    """ЖСК «Полёт» with an account, a resident and an accountant of its own."""
    with app.app_context():
        hoa = Hoa.get(Hoa.prefixes == "20")
        Account.create(number="200001", hoa=hoa)
        make_resident("200001", email="polyot@example.ru")
        accountant = Accountant(email="buh@polyot.example")
        accountant.set_password("office-pass-2")
        accountant.save()
        AccountantHoa.create(accountant=accountant, hoa=hoa)
    return hoa


def test_the_office_publishes_a_document_and_residents_read_it(office, client, app):
    r = upload(client, office.id)
    assert r.status_code == 302, r.get_data(as_text=True)[:800]
    assert documents(app) == [("Устав ТСЖ «Рассвет»", "charter", False, b"%PDF-")]
    assert events(app) == ["document_added"]
    listing = client.get(f"/office/{office.id}/documents").get_data(as_text=True)
    assert "Устав ТСЖ «Рассвет»" in listing and "20.05.2024" in listing
    resident = app.test_client()
    with app.app_context():
        login_as(resident, "100001")
        document_id = Document.get().id
    page = resident.get("/cabinet/documents")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Устав" in html and f"/documents/{document_id}" in html
    pdf = resident.get(f"/documents/{document_id}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert "no-store" in pdf.headers["Cache-Control"]
    assert pdf.headers["X-Content-Type-Options"] == "nosniff"


def test_the_list_is_by_category_newest_first_and_paginated(office, client, app):
    for title, category, dated in [("Отчёт 2024", "reports", "2025-03-01"),
                                   ("Протокол 1", "minutes", "2024-04-01"),
                                   ("Протокол 2", "minutes", "2025-04-01"),
                                   ("Устав", "charter", "2010-01-01")]:
        assert upload(client, office.id, title=title, category=category,
                      dated=dated).status_code == 302
    resident = app.test_client()
    with app.app_context():
        login_as(resident, "100001")
    html = resident.get("/cabinet/documents").get_data(as_text=True)
    order = [html.index(t) for t in ("Устав", "Протокол 2", "Протокол 1", "Отчёт 2024")]
    assert order == sorted(order)
    only = resident.get("/cabinet/documents?category=minutes").get_data(as_text=True)
    assert "Протокол 1" in only and "Отчёт 2024" not in only
    assert resident.get("/cabinet/documents?page=99").status_code == 200


def test_private_documents_are_never_served_to_visitors_or_another_hoa(office, client, app):
    upload(client, office.id, title="Смета на 2027 год", category="estimates")
    upload(client, office.id, title="Отчёт ревизора", category="reports", public="y")
    with app.app_context():
        private = Document.get(Document.public == False).id  # noqa: E712
        public = Document.get(Document.public == True).id  # noqa: E712
    polyot = other_hoa(app)
    visitor = app.test_client()
    assert visitor.get(f"/documents/{private}").status_code == 404
    assert visitor.get(f"/documents/{public}").status_code == 200
    neighbour = app.test_client()
    assert neighbour.post("/login", data={"account": "200001",
                                          "password": "resident-pass-1"}).status_code == 302
    assert neighbour.get(f"/documents/{private}").status_code == 404
    assert "Смета" not in neighbour.get("/cabinet/documents").get_data(as_text=True)
    # the other HOA's accountant reaches neither our list nor our document's pages
    office_b = app.test_client()
    assert office_b.post("/office/login", data={"email": "buh@polyot.example",
                                                "password": "office-pass-2"}).status_code == 302
    assert office_b.get(f"/office/{office.id}/documents").status_code == 404
    assert office_b.get(f"/office/{polyot.id}/documents/{private}").status_code == 404
    assert office_b.get(f"/office/{polyot.id}/documents/{private}/file").status_code == 404
    assert office_b.post(f"/office/{polyot.id}/documents/{private}/delete").status_code == 404
    assert len(documents(app)) == 2
    # the public one is on the landing page and the HOA's public page, the other is not
    landing = visitor.get("/").get_data(as_text=True)
    assert "Отчёт ревизора" in landing and "Смета" not in landing
    page = visitor.get(f"/hoa/{office.id}/documents").get_data(as_text=True)
    assert "Отчёт ревизора" in page and "Смета" not in page
    assert visitor.get("/hoa/999999/documents").status_code == 404
    assert visitor.get("/documents/999999").status_code == 404


@pytest.mark.parametrize("data, name", [
    (b"%PDF-1.7\n1 0 obj << >> endobj\n", "broken.pdf"),  # no end: damaged
    (png(), "photo.pdf"),  # a picture named .pdf
    (b"MZ\x90\x00 not a document at all", "virus.pdf"),
    (b"", "empty.pdf"),
])
def test_a_file_that_is_not_a_whole_pdf_is_refused_and_nothing_saved(office, client, app,
                                                                      data, name):
    before = stored_count(app)
    r = upload(client, office.id, data=data, name=name)
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert any(message in html for message in (
        "не является документом PDF", "только документы PDF", "пустой", "пуст"))
    assert documents(app) == [] and stored_count(app) == before and events(app) == []


@pytest.mark.parametrize("fields, message", [
    ({"title": ""}, "Введите заголовок"),
    ({"category": "secret"}, "раздел"),
    ({"dated": "31.02.2024"}, "дат"),
    ({"dated": "1850-01-01"}, "между 1900 и 2099"),
])
def test_bad_fields_are_refused_with_a_message(office, client, app, fields, message):
    r = upload(client, office.id, **fields)
    assert r.status_code == 400
    assert message.lower() in r.get_data(as_text=True).lower()
    assert documents(app) == [] and stored_count(app) == 0


def test_no_file_is_refused(office, client, app):
    r = upload(client, office.id, data=False)
    assert r.status_code == 400 and "Выберите файл документа" in r.get_data(as_text=True)
    assert documents(app) == []


def test_replace_and_delete_are_audited_and_take_the_stored_file_along(office, client, app):
    upload(client, office.id)
    with app.app_context():
        document = Document.get()
        old_file = document.file_id
    r = client.post(f"/office/{office.id}/documents/{document.id}", data={
        "title": "Устав (редакция 2026)", "category": "charter", "dated": "2026-01-15",
        "public": "y", "file": (io.BytesIO(minimal_pdf("New edition")), "ustav-2026.pdf")},
        content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:800]
    with app.app_context():
        document = Document.get()
        assert document.file_id != old_file and document.public
        assert document.file.name == "ustav-2026.pdf"
        assert StoredFile.get_or_none(StoredFile.id == old_file) is None
        assert StoredFile.select().count() == 1
    assert events(app) == ["document_added", "document_changed", "document_replaced"]
    # a broken replacement leaves the document as it was
    r = client.post(f"/office/{office.id}/documents/{document.id}", data={
        "title": "Испорчено", "category": "charter", "dated": "2026-01-15",
        "file": (io.BytesIO(b"%PDF-1.4 broken"), "x.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 400
    with app.app_context():
        assert Document.get().title == "Устав (редакция 2026)"
        assert Document.get().file_id == document.file_id
    assert client.post(f"/office/{office.id}/documents/{document.id}/delete").status_code == 302
    with app.app_context():
        assert Document.select().count() == 0 and StoredFile.select().count() == 0
    assert events(app)[-1] == "document_deleted"
    log = client.get(f"/office/{office.id}/audit").get_data(as_text=True)
    assert "Документ удалён" in log and "Заменён файл документа" in log


def test_the_menus_lead_to_the_documents(office, client, app):
    office_page = client.get(f"/office/{office.id}/documents").get_data(as_text=True)
    assert f'href="/office/{office.id}/documents"' in office_page
    assert 'href="/office/help"' in office_page
    resident = app.test_client()
    with app.app_context():
        login_as(resident, "100001")
    assert 'href="/cabinet/documents"' in resident.get("/cabinet").get_data(as_text=True)


def test_the_office_help_page_covers_loading_documents_and_letters(client):
    html = client.get("/office/help").get_data(as_text=True)
    for words in ("Загрузка данных", "Документы", "Письма жильцам"):
        assert words in html

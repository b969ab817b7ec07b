"""The ballots, the protocol and the decisions' export read back: their text and totals."""
import csv
import io
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pypdf import PdfReader

from factories import login_as
from factories_meetings import TODAY, make_meeting, small_register
from openpyxl import load_workbook


@pytest.fixture
def voted(demo, office, client):
    demo.config["TODAY"] = TODAY.isoformat()
    with demo.app_context():
        meeting = make_meeting(office)
        entries = small_register(meeting)
        q = [x.id for x in meeting.ordered_questions()]
    base = f"/office/{office.id}/meetings/{meeting.id}"
    for owner, answers in (("Иванов И. И.", ("for", "for", "for")),
                           ("Петров П. П.", ("for", "against", "for")),
                           ("ООО «Аптека»", ("abstain", "for", "for"))):
        client.post(base + f"/ballots/{entries[owner].id}",
                    data={f"q{qid}": a for qid, a in zip(q, answers)})
    return {"base": base, "meeting": meeting, "entries": entries}


def text_of(data):
    reader = PdfReader(io.BytesIO(data))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def test_ballots_one_per_entry_in_address_order(voted, client):
    r = client.get(voted["base"] + "/ballots.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert "no-store" in r.headers["Cache-Control"]
    pages = text_of(r.data)
    assert len(pages) == 5
    owners = [re.search(r"Собственник (.+?) Помещение", page).group(1) for page in pages]
    assert owners == ["Иванов И. И.", "Иванова А. А.", "Петров П. П.", "Сидоров С. С.",
                      "ООО «Аптека»"]  # кв. 1, 1, 2, 3, then пом. 10
    first = pages[0]
    assert "БЮЛЛЕТЕНЬ № 1" in first and "Доля в праве 1/2" in first
    assert "Количество голосов 50,00 (м²)" in first and "Площадь помещения 100,00 м²" in first
    assert "Капитальный ремонт крыши" in first and "ЗА ПРОТИВ ВОЗДЕРЖАЛСЯ" in first


def test_protocol_states_totals_quorum_decisions_and_annexes(voted, client):
    r = client.get(voted["base"] + "/protocol.pdf")
    assert r.status_code == 200
    text = " ".join(text_of(r.data))
    assert "ПРОТОКОЛ № 1/2026" in text
    assert "Инициатор общего собрания: Правление ТСЖ «Рассвет»" in text
    assert "Общее количество голосов собственников помещений: 300,00 (м²), 100 %" in text
    assert "принявших участие в собрании: 200,00 (м²), 66,67 %" in text
    assert "Кворум имеется" in text
    # question 1 (more than half of those who voted): за 150 of 200 — taken
    assert re.search(r"По 1-му вопросу.*?«за» — 150,00 \(м²\), 75,00 %.*?РЕШЕНИЕ ПРИНЯТО", text)
    # question 2 (more than half of all): за 100 of 300 — not taken
    assert re.search(r"По 2-му вопросу.*?«за» — 100,00 \(м²\), 33,33 %.*?РЕШЕНИЕ НЕ ПРИНЯТО",
                     text)
    # question 3 (two thirds of all): за 200 of 300 — exactly two thirds, taken
    assert re.search(r"По 3-му вопросу.*?«за» — 200,00 \(м²\), 66,67 %.*?РЕШЕНИЕ ПРИНЯТО", text)
    assert "СЛУШАЛИ: Иванов И. И." in text
    assert "Место хранения протокола и решений собственников: офис правления, кв. 1" in text
    assert "Приложение № 1. Реестр собственников" in text and "Итого 300,00" in text
    assert "Приложение № 2. Сообщение о проведении общего собрания" in text
    assert "Приложение № 3. Список лиц" in text and "Итого 200,00" in text


def test_decisions_export_as_csv_and_xlsx(voted, client):
    r = client.get(voted["base"] + "/decisions.csv")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:6] == ["№ бюллетеня", "Собственник", "Помещение", "Площадь, м²", "Доля",
                           "Голосов"]
    by_owner = {row[1]: row for row in rows[1:]}
    assert by_owner["Петров П. П."][5:] == ["100.00", "да", "бумага", "за", "против", "за"]
    assert by_owner["Сидоров С. С."][6] == "нет"
    r = client.get(voted["base"] + "/decisions.xlsx")
    sheet = load_workbook(io.BytesIO(r.data)).active
    assert [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))][1] == "Иванов И. И."


def test_resident_prints_their_own_ballot_only(voted, demo):
    resident = demo.test_client()
    with demo.app_context():
        login_as(resident, "100001")
    r = resident.get(f"/cabinet/meetings/{voted['meeting'].id}/ballot.pdf")
    pages = text_of(r.data)
    assert len(pages) == 2 and all("кв. 1" in page for page in pages)


def test_materials_are_pdfs_shown_to_residents(voted, client, demo):
    from images import minimal_pdf, png
    base = voted["base"]
    r = client.post(base + "/materials", data={"title": "Смета",
                                               "file": (io.BytesIO(png()), "smeta.png")},
                    follow_redirects=True)
    assert "только документы PDF" in r.get_data(as_text=True)
    client.post(base + "/materials", data={"title": "Смета на 2026 год",
                                           "file": (io.BytesIO(minimal_pdf()), "smeta.pdf")})
    resident = demo.test_client()
    with demo.app_context():
        login_as(resident, "100003")
    page = resident.get(f"/cabinet/meetings/{voted['meeting'].id}").get_data(as_text=True)
    link = re.search(r'href="(/cabinet/meetings/\d+/materials/\d+)">Смета на 2026 год', page)
    r = resident.get(link.group(1))
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    material_id = link.group(1).rsplit("/", 1)[1]
    client.post(base + f"/materials/{material_id}/delete")
    assert resident.get(link.group(1)).status_code == 404
    with demo.app_context():
        from storedfiles import StoredFile
        assert StoredFile.select().count() == 0


def test_a_big_registers_ballots_are_printed_by_the_worker(voted, client, demo):
    demo.config["MEETING_BALLOTS_IN_REQUEST"] = 3  # the register has 5 entries
    base = voted["base"]
    r = client.get(base + "/ballots.pdf", follow_redirects=True)
    assert "сначала подготовьте бюллетени" in r.get_data(as_text=True)
    assert "data-prepare-ballots" in r.get_data(as_text=True)
    client.post(base + "/ballots/prepare")  # the job runs in place in tests
    page = client.get(base).get_data(as_text=True)
    assert "data-ballots-pdf" in page and "data-prepare-ballots" not in page
    r = client.get(base + "/ballots.pdf")
    assert r.status_code == 200 and len(text_of(r.data)) == 5
    with demo.app_context():  # a change of the register makes the file stale
        from meetings.models import RegisterEntry
        RegisterEntry.update(owner="Петров Пётр Петрович").where(
            RegisterEntry.owner == "Петров П. П.").execute()
    assert client.get(base + "/ballots.pdf").status_code == 302
    client.post(base + "/ballots/prepare")
    pages = text_of(client.get(base + "/ballots.pdf").data)
    assert any("Петров Пётр Петрович" in page for page in pages)
    with demo.app_context():
        from storedfiles import StoredFile
        assert StoredFile.select().count() == 1  # the stale file is gone


def test_a_web_worker_never_loads_the_pdf_code_for_a_meeting(tmp_path):
    """A fresh process (as a gunicorn worker is) serves the ballots and the protocol: they are
    drawn in the render process, and fpdf2 stays out of the worker."""
    root = Path(__file__).resolve().parent.parent
    script = textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{str(root)!r}, {str(root / 'tests')!r}]
        import factories_meetings, testdb
        app = testdb.make_app(__import__("pathlib").Path({str(tmp_path)!r}))
        with app.app_context():
            import demo
            from models import Hoa
            demo.load(echo=lambda *a: None, files=("accounts.csv",))
            meeting = factories_meetings.make_meeting(Hoa.get(Hoa.prefixes == "10"))
            factories_meetings.small_register(meeting)
        client = app.test_client()
        client.post("/office/login", data={{"email": demo.DEMO_ACCOUNTANT,
                                            "password": demo.DEMO_ACCOUNTANT_PASSWORD}})
        for path in ("ballots.pdf", "protocol.pdf"):
            response = client.get(f"/office/1/meetings/{{meeting.id}}/{{path}}")
            assert response.data.startswith(b"%PDF"), response.status_code
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("fpdf", "fontTools")))
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True,
                         text=True, timeout=120, env=dict(os.environ))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_an_owner_named_like_a_formula_is_exported_as_text(voted, client, demo):
    with demo.app_context():
        from meetings.models import RegisterEntry
        RegisterEntry.update(owner='=HYPERLINK("http://x")').where(
            RegisterEntry.owner == "Сидоров С. С.").execute()
    text = client.get(voted["base"] + "/decisions.csv").data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ";=HYPERLINK" not in text

"""Every decision of a meeting as a table (CSV for any program, XLSX for Excel)."""
import csv
import io

from flask import Response

from meetings.models import PaperBallot, RegisterEntry
from meetings.results import decisions_by_source
from texts import safe_cell  # the one guard against formulas in an export

WORDS = {"for": "за", "against": "против", "abstain": "воздержался", "": "нет ответа"}


def source_of(entry, result, online, spoilt):
    """Which answers of the entry count, in words."""
    if entry in result.conflicts:
        return "онлайн и бумага: не решено"
    if entry.id in spoilt:
        return "бумага: испорчен" if entry.counted_source != "online" else "онлайн"
    if entry.id not in result.counted:
        return "онлайн: не учитывается" if entry.id in online else ""
    source = entry.counted_source or ("online" if entry.id in online and entry.id
                                      not in result.paper_ids else "paper")
    return {"online": "онлайн", "paper": "бумага"}[source]


def rows(meeting, result):
    online, _paper = decisions_by_source(meeting)
    spoilt = {b.entry_id for b in PaperBallot.select(PaperBallot.entry).join(RegisterEntry)
              .where(RegisterEntry.meeting == meeting, PaperBallot.spoilt == True)}  # noqa: E712
    head = ["№ бюллетеня", "Собственник", "Помещение", "Площадь, м²", "Доля", "Голосов",
            "Учтён", "Источник"] + [f"Вопрос {q.position}" for q in result.questions]
    yield head
    counted = set(result.count.voters)
    for entry in result.entries.values():
        decisions = result.counted.get(entry.id, {})
        yield [entry.ballot_number, safe_cell(entry.owner), safe_cell(entry.premises),
               f"{entry.area:.2f}",
               entry.share_text, f"{entry.votes:.2f}", "да" if entry.id in counted else "нет",
               source_of(entry, result, online, spoilt)] + [
            WORDS.get(decisions.get(q.id, ""), "") if entry.id in counted else ""
            for q in result.questions]


def decisions(meeting, result, format):
    """(bytes, content type) of the table."""
    table = list(rows(meeting, result))
    if format == "csv":
        out = io.StringIO()
        csv.writer(out, delimiter=";").writerows(table)
        return out.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    from openpyxl import Workbook  # lazily: openpyxl brings PIL (see importfiles.py)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Решения")
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), ("application/vnd.openxmlformats-officedocument."
                            "spreadsheetml.sheet")


def download(data, name, mimetype="application/pdf"):
    """A meeting's file handed to its reader: personal data, so never cached."""
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store"})

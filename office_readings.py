"""The office's readings: a month's readings of an HOA, entry on a resident's behalf, export."""
import csv
import io
import json

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import force_locale, gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

import letters
from access import accountant_required, client_ip, get_hoa_or_404
from formats import format_number
from forms import OfficeReadingForm, ReadingStatusForm, reading_field_name, zone_label
from meter_models import METER_KIND_TABLE, Meter, Reading
from mail import external_url
from models import Account, AuditEvent, Resident
from periods import parse_period
from texts import looks_like_formula, plain_text, safe_cell
from readings import (
    SOURCE_LABELS, STATUS_LABELS, check_values, kind_label, reason_text, save_checks, today,
    unit_of,
)

bp = Blueprint("office_readings", __name__, url_prefix="/office")

# The export's columns, in order, as the billing program's own files and Domkom's import name
# them; docs/readings.md describes each.
COLUMNS = ["Лицевой счёт", "Квартира", "Заводской номер", "Вид", "Место установки", "Ед. изм.",
           "Тарифность", "Период", "Показания Т1", "Показания Т2", "Показания Т3",
           "Дата передачи", "Источник", "Статус", "Причина"]
# the file speaks Russian whatever the page's language: it is read by a Russian billing program
EXPORT_SOURCES = {"resident": "жилец", "accountant": "бухгалтер",
                  "import": "программа начислений"}
EXPORT_STATUSES = {"accepted": "принято", "flagged": "на проверке", "declined": "отклонено"}
def chosen_period(hoa):
    """The month asked for, else the one whose readings are coming in now."""
    return parse_period(request.args.get("period", "")) or hoa.readings_period(today())


def month_rows(hoa, period):
    """(meter, reading that counts or None, number of submissions) for every meter of the HOA."""
    meters = list(Meter.of_hoa(hoa))
    counting = Reading.counting_for_period(meters, period) if meters else {}
    return [(m, counting.get(m.id)) for m in meters]


@bp.route("/<int:hoa_id>/readings")
@accountant_required
def index(hoa_id):
    hoa = get_hoa_or_404(hoa_id)
    period = chosen_period(hoa)
    rows = month_rows(hoa, period)
    return render_template("meters/office.html", hoa=hoa, period=period, rows=rows,
                           kind_label=kind_label, unit_of=unit_of, source_labels=SOURCE_LABELS,
                           status_labels=STATUS_LABELS, reason_text=reason_text,
                           received=sum(1 for _m, r in rows if r is not None))


def export_rows(hoa, period):
    """(the meter's cells, the zones' values, [submitted_at, source, status, reason]) of
    every meter with a reading that counts for the month, its words in Russian."""
    with force_locale("ru"):
        for meter, reading in month_rows(hoa, period):
            if reading is None:
                continue
            account = meter.account
            kind = METER_KIND_TABLE.get(meter.kind)
            values = [reading.t1, reading.t2 if meter.zones > 1 else None,
                      reading.t3 if meter.zones > 2 else None]
            yield ([account.number, account.apartment, meter.serial,
                    kind.file_word if kind else meter.kind, meter.place, unit_of(meter),
                    meter.zones, period.strftime("%m.%Y")], values,
                   [reading.submitted_at, EXPORT_SOURCES.get(reading.source, reading.source),
                    EXPORT_STATUSES.get(reading.status, reading.status),
                    str(reason_text(reading.reason))])


@bp.route("/<int:hoa_id>/readings/export.<fmt>")
@accountant_required
def export(hoa_id, fmt):
    hoa = get_hoa_or_404(hoa_id)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    period = chosen_period(hoa)
    name = f"readings-{hoa.id}-{period.strftime('%Y-%m')}.{fmt}"
    AuditEvent.record("readings_exported", client_ip(), hoa=hoa, accountant=current_user.id,
                      detail=name)
    build = export_csv if fmt == "csv" else export_xlsx
    return send_file(build(export_rows(hoa, period)), as_attachment=True, download_name=name,
                     mimetype="text/csv" if fmt == "csv" else
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def export_csv(rows):
    """Semicolon-separated UTF-8 with a BOM and decimal commas, as Russian Excel opens it."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for head, values, tail in rows:
        submitted, *rest = tail
        writer.writerow([safe_cell(v) for v in head]
                        + ["" if v is None else format_number(v, trim=False) for v in values]
                        + [submitted.strftime("%d.%m.%Y %H:%M")] + [safe_cell(v) for v in rest])
    return io.BytesIO(("\ufeff" + text.getvalue()).encode("utf-8"))


def export_xlsx(rows):
    """One sheet, numbers as numbers and the time as a date-time. Text stays text: a cell that
    would read as a formula gets Excel's hidden text mark, not a visible apostrophe."""
    from openpyxl import Workbook  # lazily: only the XLSX export needs it

    book = Workbook()
    sheet = book.active
    sheet.title = "Показания"
    sheet.append(COLUMNS)
    for head, values, tail in rows:
        submitted, *rest = tail
        texts = [plain_text(v, lines=True) if isinstance(v, str) else v for v in head]
        sheet.append(texts + values + [submitted] + [plain_text(v, lines=True) for v in rest])
        row = sheet.max_row
        for cell in sheet[row]:
            if looks_like_formula(cell.value):
                cell.data_type, cell.quotePrefix = "s", True
        for column in (9, 10, 11):
            sheet.cell(row=row, column=column).number_format = "0.000"
        sheet.cell(row=row, column=12).number_format = "dd.mm.yyyy hh:mm"
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    return data


@bp.route("/<int:hoa_id>/readings/meter/<int:meter_id>", methods=["GET", "POST"])
@accountant_required
def enter(hoa_id, meter_id):
    hoa = get_hoa_or_404(hoa_id)
    meter = (Meter.select(Meter, Account).join(Account)
             .where(Meter.id == meter_id, Account.hoa == hoa).first())
    if meter is None:
        abort(404)
    form = OfficeReadingForm.for_meters([meter], data={"period": chosen_period(hoa)
                                                       .strftime("%Y-%m")})
    meter_error = None
    if form.validate_on_submit():
        period = parse_period(form.period.data.strip())
        values = tuple(form[reading_field_name(meter.id, z)].data for z in meter.zone_numbers)
        check = None
        if all(v is None for v in values):
            meter_error = _("Enter the reading.")
        else:
            check = check_values(meter, values, period, today(), by_accountant=True,
                                 replaced=form[f"m{meter.id}_replaced"].data)
        if check is not None and check.ok:
            if save_checks([check], period, source="accountant", accountant=current_user.id,
                           ip=client_ip()):
                tell_resident(meter, period, "reading_entered",
                              _l("Domkom: the accountant entered a meter reading for you"),
                              value=" / ".join(format_number(v) for v in values if v is not None)
                              + f" {unit_of(meter)}")
            flash(_("The reading of meter %(serial)s for account %(number)s is saved.",
                    serial=meter.serial, number=meter.account.number), "success")
            return redirect(url_for("office_readings.index", hoa_id=hoa.id,
                                    period=period.strftime("%Y-%m")))
        for zone, message in (check.errors.items() if check else ()):
            if zone:
                form[reading_field_name(meter.id, zone)].errors.append(message)
            else:
                meter_error = message
    status = 400 if form.is_submitted() else 200
    return render_meter_page(hoa, meter, form, meter_error, ReadingStatusForm()), status


def render_meter_page(hoa, meter, form, meter_error, status_form):
    return render_template("meters/office_enter.html", hoa=hoa, meter=meter, form=form,
                           status_form=status_form,
                           kind=kind_label(meter), unit=unit_of(meter), meter_error=meter_error,
                           field_name=reading_field_name, zone_label=zone_label,
                           source_labels=SOURCE_LABELS, status_labels=STATUS_LABELS,
                           reason_text=reason_text, history=list(meter.readings.order_by(Reading.id.desc()).limit(12)))


@bp.route("/<int:hoa_id>/readings/<int:reading_id>/status", methods=["POST"])
@accountant_required
def decide(hoa_id, reading_id):
    """Accept a flagged reading, or decline one with a reason the resident sees."""
    hoa = get_hoa_or_404(hoa_id)
    reading = (Reading.select(Reading, Meter, Account).join(Meter).join(Account)
               .where(Reading.id == reading_id, Account.hoa == hoa).first())
    if reading is None:
        abort(404)
    form = ReadingStatusForm()
    if not form.validate_on_submit():
        meter = reading.meter
        entry = OfficeReadingForm.for_meters([meter], data={"period": reading.period
                                                            .strftime("%Y-%m")})
        return render_meter_page(hoa, meter, entry, None, form), 400
    reading.status = form.decision.data
    reading.reason = (form.reason.data or "").strip() if reading.status == "declined" else ""
    reading.accountant = current_user.id
    reading.save()
    AuditEvent.record("reading_" + reading.status, client_ip(), hoa=hoa,
                      accountant=current_user.id, account_number=reading.meter.account.number,
                      detail=json.dumps(reading_facts(reading), ensure_ascii=False))
    if reading.status == "declined":
        tell_resident(reading.meter, reading.period, "reading_declined",
                      _l("Domkom: your meter reading was declined"), reason=reading.reason)
    flash(_("The reading is accepted.") if reading.status == "accepted"
          else _("The reading is declined; the resident sees the reason."), "success")
    return redirect(url_for("office_readings.enter", hoa_id=hoa.id, meter_id=reading.meter.id,
                            period=reading.period.strftime("%Y-%m")))


def tell_resident(meter, period, template, subject, **context):
    """A letter to the meter's resident, when there is one who wants it (letters.py)."""
    resident = Resident.get_or_none(Resident.account == meter.account_id)
    if resident is not None:
        letters.send_notice(resident, "readings", subject, template, meter=meter,
                            kind=kind_label(meter), period=period,
                            link=external_url("meters.index"), **context)


def reading_facts(reading):
    """What the security log keeps of a decision: the meter, month and values as they were."""
    values = [v for v in (reading.t1, reading.t2, reading.t3) if v is not None]
    return {"meter": reading.meter.serial, "kind": reading.meter.kind,
            "period": reading.period.strftime("%Y-%m"),
            "value": "/".join(str(v) for v in values), "reason": reading.reason}

"""The resident's meters: this month's readings, each meter's history and chart."""
import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

import charts
from access import client_ip, get_meter_or_404, resident_required
from reminders import remind_command
from formats import format_day, format_period
from forms import ReadingsForm, reading_field_name, zone_label
from meter_models import ACCOUNT_METERS, LATEST_SUBMISSION, Reading
from readings import (
    SOURCE_LABELS, STATUS_LABELS, check_values, contact_of, history, kind_label, save_checks,
    today, unit_of,
)

bp = Blueprint("meters", __name__, url_prefix="/cabinet/meters", cli_group=None)

METER_FIELD = re.compile(r"^m(\d+)_")
VERIFICATION_WARNING_DAYS = 30


def posted_meter_ids():
    return {int(m.group(1)) for key in request.form if (m := METER_FIELD.match(key))}


@bp.route("", methods=["GET", "POST"])
@resident_required
def index():
    account = current_user.account
    hoa = account.hoa
    day = today()
    period = hoa.readings_period(day)
    meters = list(ACCOUNT_METERS(account.id))
    taking = [m for m in meters if not m.archived and not m.verification_expired(day)]
    form = ReadingsForm.for_meters(taking)
    is_open = hoa.window_state(day)[0]
    problems, meter_errors, confirm = [], {}, {}
    if request.method == "POST":
        if posted_meter_ids() - {m.id for m in meters}:
            abort(404)
        valid = form.validate_on_submit()
        # the rules run on every meter whose fields were read, so that a letter in one field
        # does not hide what the others would be told
        checks = checks_from(form, meters, taking, period, day)
        if not is_open:
            problems.append(window_text(hoa, day))
        elif valid and not checks:
            problems.append(_("No readings were entered: fill in at least one field."))
        elif valid and all(c.ok for c in checks):
            written = save_checks(checks, period, resident=current_user._get_current_object(),
                                  ip=client_ip())
            if written:
                flash(ngettext("%(num)s reading is saved. Thank you!",
                               "%(num)s readings are saved. Thank you!", written), "success")
            else:
                flash(_("These readings were already saved."), "info")
            for check in checks:
                if check.far_out and not check.unchanged:
                    flash(_("The reading of meter %(serial)s is far beyond the usual "
                            "consumption, so the accountant will check it before it goes into "
                            "the bill. If the accountant declines it, you will see why on this "
                            "page.", serial=check.meter.serial or kind_label(check.meter)),
                          "warning")
            return redirect(url_for("meters.index"))
        meter_errors, confirm = attach_messages(form, checks)
        problems += [f"{m.serial}: {meter_errors[m.id]}" for m in meters
                     if m.archived and m.id in meter_errors]
        if not problems:
            problems.append(_("Nothing was saved yet: see the messages next to the fields."))
    active = [m for m in meters if not m.archived]
    rows = [meter_row(m, day, period) for m in active]
    archived = [m for m in meters if m.archived]
    status = 400 if request.method == "POST" else 200
    return render_template("meters/index.html", form=form, rows=rows, archived=archived,
                           window=window_text(hoa, day), is_open=is_open, problems=problems,
                           meter_errors=meter_errors, confirm=confirm, hoa=hoa,
                           contact=contact_of(hoa), zone_label=zone_label,
                           field_name=reading_field_name), status


def checks_from(form, meters, taking, period, day):
    """The rules applied to every meter with a value in the form; a value sent for a meter
    that takes none (archived, verification expired) gets that meter's refusal."""
    checks = []
    for meter in taking:
        fields = [form[reading_field_name(meter.id, z)] for z in meter.zone_numbers]
        values = tuple(f.data for f in fields)
        if any(v is not None for v in values) and not any(f.errors for f in fields):
            checks.append(check_values(meter, values, period, day,
                                       replaced=form[f"m{meter.id}_replaced"].data,
                                       confirmed=form[f"m{meter.id}_confirm"].data))
    for meter in meters:
        if meter not in taking and any(request.form.get(reading_field_name(meter.id, z))
                                       for z in meter.zone_numbers):
            checks.append(check_values(meter, (None,) * meter.zones, period, day))
    return checks


def attach_messages(form, checks):
    """Put each check's messages next to its fields; returns the per-meter ones."""
    meter_errors, confirm = {}, {}
    for check in checks:
        for zone, message in list(check.errors.items()) + list(check.confirm.items()):
            if zone:
                form[reading_field_name(check.meter.id, zone)].errors.append(message)
            else:
                meter_errors[check.meter.id] = message
        if check.confirm:
            confirm[check.meter.id] = True
    return meter_errors, confirm


def meter_row(meter, day, period):
    """What the page shows about one meter, `current` being its counting reading for `period`
    (its latest submission, unless that was declined). Indexed lookups of one row each."""
    last = meter.last_reading()
    latest = LATEST_SUBMISSION.first(meter.id, period)
    current = latest
    if latest is not None and latest.status == "declined":
        current = Reading.counting_for_meter(meter.id, period)
    due = meter.verified_until
    return {
        "meter": meter, "kind": kind_label(meter), "unit": unit_of(meter), "last": last,
        "current": current, "expired": meter.verification_expired(day),
        "declined": latest if latest is not None and latest.status == "declined" else None,
        "due_soon": due is not None and 0 <= (due - day).days <= VERIFICATION_WARNING_DAYS,
    }


def window_text(hoa, day):
    is_open, days_left, opens_on = hoa.window_state(day)
    if is_open:
        end = hoa.window_bounds(day)[1]
        return _("Readings for %(month)s are accepted until %(day)s.",
                 month=format_period(hoa.readings_period(day)),
                 day=format_day(end)) + " " + ngettext(
            "%(num)s day left.", "%(num)s days left.", days_left)
    return _("Readings are not accepted now: the window opens on %(day)s.",
             day=format_day(opens_on))


@bp.route("/<int:meter_id>")
@resident_required
def meter_history(meter_id):
    meter = get_meter_or_404(meter_id)
    rows = history(meter)
    return render_template("meters/history.html", meter=meter, hoa=current_user.account.hoa,
                           kind=kind_label(meter),
                           unit=unit_of(meter), rows=list(reversed(rows)),
                           submissions=list(Reading.latest_submissions(meter, 50)),
                           chart=charts.consumption_chart(rows, unit_of(meter)),
                           zone_label=zone_label, source_labels=SOURCE_LABELS,
                           status_labels=STATUS_LABELS)


bp.cli.add_command(remind_command)

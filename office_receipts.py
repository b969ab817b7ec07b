"""The office's receipts page: pick a month, see what is missing, have the worker print the
house (house_receipts.py), watch its progress and download the files."""
from flask import (
    Blueprint, Response, abort, redirect, render_template, request, stream_with_context, url_for,
)
from flask_babel import lazy_gettext as _l

import house_receipts
import receipts
from access import accountant_required, get_hoa_or_404, one_or_404, period_from_url
from ledger import count_with_data, house_periods
from periods import parse_period
import receipt_files
from receipt_files import HouseReceipts

bp = Blueprint("office_receipts", __name__, url_prefix="/office", cli_group=None)

REQUISITE_LABELS = {
    "recipient": _l("Payee name"),
    "bank_name": _l("Bank name"),
    "bic": _l("Bank identification code (BIC)"),
    "settlement_account": _l("Settlement account"),
    "corr_account": _l("Correspondent account"),
    "inn": _l("Taxpayer number (INN)"),
}
REFRESH_SECONDS = 2  # the printing's page reloads itself while the worker draws


def get_printing_or_404(hoa, printing_id):
    """The printing with this id if it is of this HOA; otherwise 404."""
    return one_or_404(HouseReceipts, HouseReceipts.id == printing_id, HouseReceipts.hoa == hoa.id)


@bp.route("/<int:hoa_id>/receipts")
@accountant_required
def index(hoa_id):
    hoa = get_hoa_or_404(hoa_id)
    periods = house_periods(hoa)
    text = request.args.get("period", "")
    selected = parse_period(text)
    if text and selected not in periods:
        selected, status, bad_period = None, 400, text
    else:
        status, bad_period = 200, None
    selected = selected or (periods[0] if periods else None)
    count = count_with_data(hoa, selected) if selected else 0
    printing = house_receipts.latest(hoa, selected) if selected else None
    printing = printing and house_receipts.looked_at(printing)
    missing = [REQUISITE_LABELS[name] for name in receipts.missing_requisites(hoa)]
    return render_template("office/receipts.html", hoa=hoa, periods=periods, selected=selected,
                           count=count, missing=missing, bad_period=bad_period,
                           printing=printing), status


@bp.route("/<int:hoa_id>/receipts/<period>/print", methods=["POST"])
@accountant_required
def start(hoa_id, period):
    """Have the worker print the month, or find the printing of its data as it is."""
    hoa = get_hoa_or_404(hoa_id)
    month = period_from_url(period)
    if not house_receipts.has_data(hoa, month):
        return render_template("statements/empty.html", period=month, hoa=hoa,
                               office=True), 404
    printing = house_receipts.start(hoa, month)
    return redirect(url_for(".printing", hoa_id=hoa.id, printing_id=printing.id))


@bp.route("/<int:hoa_id>/receipts/printing/<int:printing_id>")
@accountant_required
def printing(hoa_id, printing_id):
    hoa = get_hoa_or_404(hoa_id)
    job = house_receipts.looked_at(get_printing_or_404(hoa, printing_id))
    files = receipt_files.files_of(job) if job.state == "done" else []
    return render_template("office/receipts_printing.html", hoa=hoa, job=job, files=files,
                           stale=job.state == "done" and job.stale, refresh=REFRESH_SECONDS
                           if job.state in house_receipts.UNFINISHED else None)


@bp.route("/<int:hoa_id>/receipts/printing/<int:printing_id>/download")
@accountant_required
def download(hoa_id, printing_id):
    hoa = get_hoa_or_404(hoa_id)
    job = get_printing_or_404(hoa, printing_id)
    if job.state != "done":
        abort(404)
    body, name = receipt_files.stream(job)
    mimetype = "application/pdf" if name.endswith(".pdf") else "application/zip"
    return Response(stream_with_context(body), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})

"""The office's receipts page: pick a month, see what is missing, download the house's PDF."""
from io import BytesIO

from flask import Blueprint, render_template, request, send_file
from flask_babel import lazy_gettext as _l

import forked
import receipts
from access import accountant_required, get_hoa_or_404, period_from_url
from models import parse_period
from ledger import accounts_with_data, house_periods
from statements import house_receipts

bp = Blueprint("office_receipts", __name__, url_prefix="/office")

REQUISITE_LABELS = {
    "recipient": _l("Payee name"),
    "bank_name": _l("Bank name"),
    "bic": _l("Bank identification code (BIC)"),
    "settlement_account": _l("Settlement account"),
    "corr_account": _l("Correspondent account"),
    "inn": _l("Taxpayer number (INN)"),
}


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
    count = len(accounts_with_data(hoa, selected)) if selected else 0
    missing = [REQUISITE_LABELS[name] for name in receipts.missing_requisites(hoa)]
    return render_template("office/receipts.html", hoa=hoa, periods=periods, selected=selected,
                           count=count, missing=missing, bad_period=bad_period), status


@bp.route("/<int:hoa_id>/receipts/<period>.pdf")
@accountant_required
def download(hoa_id, period):
    hoa = get_hoa_or_404(hoa_id)
    month = period_from_url(period)
    accounts = accounts_with_data(hoa, month)
    if not accounts:
        return render_template("statements/empty.html", period=month, hoa=hoa,
                               office=True), 404
    pdf = forked.run(house_receipts, hoa, month, accounts, database=True)
    return send_file(BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"receipts-{hoa.id}-{month:%Y-%m}.pdf")

"""The resident's statements: charges and payments month by month, the month's receipt PDF
and its QR code."""
import re
from io import BytesIO

from flask import Blueprint, Response, abort, render_template, request, send_file
from flask_login import current_user

import forked
import receipts
from access import period_from_url, resident_required
from ledger import Statement, latest_bill, meter_readings, paid_since, pay_by_date

bp = Blueprint("statements", __name__)

YEAR = re.compile(r"[0-9]{4}")
RECENT_MONTHS = 12  # the statements page without ?year=


def statement_or_page(period_text):
    """The month's statement when the month is billed (has charges): only such a month has a
    receipt; payments made after the latest bill are shown with that bill."""
    period = period_from_url(period_text)
    statement = Statement.for_month(current_user.account, period)
    if statement is None or not statement.billed:
        return period, None, (render_template("statements/empty.html", period=period), 404)
    return period, statement, None


@bp.route("/cabinet/statements")
@resident_required
def index():
    """The latest RECENT_MONTHS months, newest first, or one calendar year's (?year=2025):
    the page stays the same size however long the account's history grows."""
    account = current_user.account
    history = Statement.history(account)
    latest = latest_bill(history)
    # months after the latest bill have no charges: their payments show with that bill
    history = history[:history.index(latest) + 1] if latest else []
    years = sorted({s.period.year for s in history}, reverse=True)
    year = request.args.get("year")
    if year is None:
        months = history[-RECENT_MONTHS:]
        # «Earlier months» offers only the years with months before those on the screen
        years = sorted({s.period.year for s in history[:-RECENT_MONTHS]}, reverse=True)
    else:
        year = int(year) if YEAR.fullmatch(year) else None
        if year not in years:
            abort(404)
        months = [s for s in history if s.period.year == year]
    return render_template("statements/index.html", account=account, months=months[::-1],
                           latest=latest, year=year,
                           years=years if len(history) > RECENT_MONTHS else [])


@bp.route("/cabinet/statements/<period>")
@resident_required
def month(period):
    period, statement, page = statement_or_page(period)
    if page:
        return page
    account = current_user.account
    hoa = account.hoa
    paid_since(statement)
    return render_template("statements/month.html", account=account, hoa=hoa, s=statement,
                           has_qr=receipts.qr_payload(statement) is not None,
                           pay_by=pay_by_date(hoa, period))


@bp.route("/cabinet/statements/<period>/qr.svg")
@resident_required
def qr(period):
    period, statement, page = statement_or_page(period)
    if statement:
        paid_since(statement)  # the code asks only for what is left to pay
    payload = receipts.qr_payload(statement) if statement else None
    if payload is None:
        abort(404)
    response = Response(receipts.qr_svg(payload), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.route("/cabinet/receipts/<period>.pdf")
@resident_required
def receipt(period):
    period, statement, page = statement_or_page(period)
    if page:
        return page
    account = current_user.account
    pdf = forked.run("receipt_pdf.render_receipt", statement, meter_readings(account, period))
    return send_file(BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"receipt-{account.number}-{period:%Y-%m}.pdf")

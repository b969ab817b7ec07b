"""The resident's statements: charges and payments month by month, the month's receipt PDF
and its QR code; the house's receipts."""
import re
from io import BytesIO
from pathlib import Path

import click
from flask import Blueprint, Response, abort, render_template, request, send_file
from flask_login import current_user

import forked
import receipts
from access import period_from_url, resident_required
from ledger import Statement, accounts_with_data, balance_summary, meter_readings
from models import Hoa, parse_period

bp = Blueprint("statements", __name__, cli_group=None)

YEAR = re.compile(r"[0-9]{4}")
RECENT_MONTHS = 12  # the statements page without ?year=


def house_receipts(hoa, period, accounts=None, progress=None):
    """One PDF with the receipt of every account having data for the month, in address order."""
    accounts = accounts_with_data(hoa, period) if accounts is None else accounts

    def items():
        for account in accounts:
            account.hoa = hoa  # one HOA object for the whole batch
            statement = Statement.for_month(account, period)
            if statement is not None:
                yield statement, meter_readings(account, period)

    return receipts.render_batch(items(), progress=progress)


# --- the resident's pages --------------------------------------------------------------------

bp.add_app_template_filter(receipts.tariff_text, "tariff")
bp.add_app_template_global(balance_summary, "balance_summary")


def statement_or_page(period_text):
    period = period_from_url(period_text)
    statement = Statement.for_month(current_user.account, period)
    if statement is None:
        return period, None, (render_template("statements/empty.html", period=period), 404)
    return period, statement, None


@bp.route("/cabinet/statements")
@resident_required
def index():
    """The latest RECENT_MONTHS months, newest first, or one calendar year's (?year=2025):
    the page stays the same size however long the account's history grows."""
    account = current_user.account
    history = Statement.history(account)
    years = sorted({s.period.year for s in history}, reverse=True)
    year = request.args.get("year")
    if year is None:
        months = history[-RECENT_MONTHS:]
    else:
        year = int(year) if YEAR.fullmatch(year) else None
        if year not in years:
            abort(404)
        months = [s for s in history if s.period.year == year]
    return render_template("statements/index.html", account=account, months=months[::-1],
                           latest=history[-1] if history else None, year=year,
                           years=years if len(history) > RECENT_MONTHS else [])


@bp.route("/cabinet/statements/<period>")
@resident_required
def month(period):
    period, statement, page = statement_or_page(period)
    if page:
        return page
    account = current_user.account
    hoa = account.hoa
    return render_template("statements/month.html", account=account, hoa=hoa, s=statement,
                           has_qr=receipts.qr_payload(statement) is not None,
                           pay_by=receipts.pay_by_date(hoa, period))


@bp.route("/cabinet/statements/<period>/qr.svg")
@resident_required
def qr(period):
    period, statement, page = statement_or_page(period)
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
    pdf = forked.run(receipts.render_receipt, statement, meter_readings(account, period))
    return send_file(BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"receipt-{account.number}-{period:%Y-%m}.pdf")


# --- printing for the whole house from the command line --------------------------------------

@bp.cli.command("receipts")
@click.option("--hoa", "hoa_id", type=int, required=True, help="The HOA's id.")
@click.option("--period", required=True, help="The month, YYYY-MM.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The PDF file to write.")
def receipts_command(hoa_id, period, output):
    """Print every account's receipt for a month into one PDF, in address order."""
    hoa = Hoa.get_or_none(Hoa.id == hoa_id)
    if hoa is None:
        raise click.BadParameter(f"no HOA with id {hoa_id}", param_hint="--hoa")
    month_date = parse_period(period)
    if month_date is None:
        raise click.BadParameter("expected a month like 2026-03", param_hint="--period")
    accounts = accounts_with_data(hoa, month_date)
    if not accounts:
        raise click.ClickException(f"{hoa.name} has no data for {period}; nothing printed.")
    missing = receipts.missing_requisites(hoa)
    if missing:
        click.echo(f"Warning: requisites missing ({', '.join(missing)}); "
                   "receipts are printed without the QR code.", err=True)
    with click.progressbar(length=len(accounts), label="Receipts") as bar:
        pdf = house_receipts(hoa, month_date, accounts, progress=bar.update)
    Path(output).write_bytes(pdf)
    click.echo(f"{len(accounts)} receipts written to {output}")

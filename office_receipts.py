"""Printing for the whole house: the office's receipts page (pick a month, see what is
missing, download the house's PDF), the `flask receipts` command, and the PDF both print."""
from io import BytesIO
from pathlib import Path

import click
from flask import Blueprint, render_template, request, send_file
from flask_babel import lazy_gettext as _l

import forked
import receipts
from access import accountant_required, get_hoa_or_404, period_from_url
from ledger import Statement, accounts_with_data, house_periods, meter_readings
from models import Hoa
from periods import parse_period

bp = Blueprint("office_receipts", __name__, url_prefix="/office", cli_group=None)

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

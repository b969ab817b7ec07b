"""The operator's commands: HOAs, accountants' office logins, registration codes, loading."""
import sys
from pathlib import Path, PurePath

import click
from flask import Blueprint

import charge_letters
import house_receipts
import importer
import receipt_files
import receipts
import requisites
from emails import is_email_address
from formats import format_money
from importbatch import Batch
from ledger import accounts_with_data
from models import Account, Accountant, AccountantHoa, AuditEvent, Hoa, db
from passwords import generate_password
from periods import parse_period
from requisites import prefix_problem

bp = Blueprint("commands", __name__, cli_group=None)


@bp.cli.command("create-hoa")
@click.option("--name", required=True, help="For example: ТСЖ «Рассвет».")
@click.option("--prefixes", required=True, help="Account-number prefixes, comma-separated.")
@click.option("--inn", default="")
@click.option("--address", default="")
def create_hoa_command(name, prefixes, inn, address):
    """Create an HOA owning the given account-number prefixes."""
    prefixes = [p.strip() for p in prefixes.split(",") if p.strip()]
    if not prefixes or not all(p.isdigit() for p in prefixes):
        raise click.UsageError("Prefixes are digits separated by commas, e.g. 10,11.")
    if inn and not requisites.inn_ok(inn):
        raise click.UsageError("The INN must be 10 or 12 digits with valid check digits.")
    hoa = Hoa(name=name.strip(), prefixes=",".join(prefixes), inn=inn, address=address)
    with importer.request_context():
        problem = prefix_problem(hoa, prefixes)
    if problem:
        raise click.ClickException(problem)
    hoa.save()
    click.echo(f"HOA {hoa.id} created: {hoa.name}, prefixes {hoa.prefixes}")


@bp.cli.command("registration-codes")
@click.option("--hoa", "hoa_id", type=int, required=True, help="HOA id.")
def registration_codes_command(hoa_id):
    """Print each account's number, apartment and registration code (as on the receipt)."""
    hoa = get_hoas([hoa_id])[0]
    click.echo(f"{hoa.name}: registration check \"{hoa.registration_check}\"")
    for account in hoa.accounts.order_by(Account.number):
        click.echo(f"{account.number}\t{account.apartment}\t{account.registration_code or '-'}")


@bp.cli.command("create-accountant")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--hoa", "hoa_ids", type=int, multiple=True, required=True, help="HOA id; repeat.")
def create_accountant_command(email, name, hoa_ids):
    """Create an accountant's office login and print its generated password."""
    email = valid_email(email)
    hoas = get_hoas(hoa_ids)
    if Accountant.select().where(Accountant.email == email).exists():
        raise click.ClickException(
            f"An accountant with e-mail {email} already exists. To give them another HOA: "
            f"flask attach-accountant --email {email} --hoa ID")
    password = generate_password(12)
    with db.atomic():
        accountant = Accountant(email=email, name=name.strip())
        accountant.set_password(password)
        accountant.save()
        for hoa in hoas:
            attach(accountant, hoa)
    click.echo(f"Accountant {email} created for {', '.join(h.name for h in hoas)}.")
    click.echo(f"Password: {password}")


@bp.cli.command("attach-accountant")
@click.option("--email", required=True)
@click.option("--hoa", "hoa_ids", type=int, multiple=True, required=True, help="HOA id; repeat.")
def attach_accountant_command(email, hoa_ids):
    """Give an existing accountant the office of more HOAs."""
    accountant = get_accountant(email)
    hoas = get_hoas(hoa_ids)
    have = set(accountant.hoas)
    with db.atomic():
        for hoa in hoas:
            if hoa in have:
                click.echo(f"{accountant.email} already works with {hoa.name} ({hoa.id}).")
            else:
                attach(accountant, hoa)
                click.echo(f"{accountant.email} now works with {hoa.name} ({hoa.id}).")


@bp.cli.command("detach-accountant")
@click.option("--email", required=True)
@click.option("--hoa", "hoa_ids", type=int, multiple=True, required=True, help="HOA id; repeat.")
def detach_accountant_command(email, hoa_ids):
    """Take HOAs away from an accountant; their login stays, for the HOAs left."""
    accountant = get_accountant(email)
    hoas = get_hoas(hoa_ids)
    have = set(accountant.hoas)
    with db.atomic():
        for hoa in hoas:
            if hoa not in have:
                click.echo(f"{accountant.email} does not work with {hoa.name} ({hoa.id}).")
                continue
            AccountantHoa.delete().where(AccountantHoa.accountant == accountant,
                                         AccountantHoa.hoa == hoa).execute()
            AuditEvent.record("accountant_detached", "", hoa=hoa, accountant=accountant)
            click.echo(f"{accountant.email} no longer works with {hoa.name} ({hoa.id}).")
    if not accountant.hoas.exists():
        click.echo(f"{accountant.email} now works with no HOA: the login opens an empty office.")


@bp.cli.command("list-hoas")
def list_hoas_command():
    """Print every HOA: id, name, prefixes, accounts, accountants' e-mails."""
    hoas = list(Hoa.select().order_by(Hoa.id))
    if not hoas:
        click.echo("No HOA yet: create one with flask create-hoa.")
        return
    click.echo("id\tname\tprefixes\taccounts\taccountants")
    for hoa in hoas:
        staff = [a.email for a in Accountant.select().join(AccountantHoa)
                 .where(AccountantHoa.hoa == hoa).order_by(Accountant.email)]
        click.echo(f"{hoa.id}\t{hoa.name}\t{hoa.prefixes}\t{hoa.accounts.count()}\t"
                   f"{', '.join(staff) or '-'}")


@bp.cli.command("list-accountants")
@click.option("--hoa", "hoa_id", type=int, help="Only this HOA's accountants (its id).")
def list_accountants_command(hoa_id):
    """Print every accountant: e-mail, name, HOAs (id and name), last login."""
    query = Accountant.select().order_by(Accountant.email)
    if hoa_id is not None:
        query = query.join(AccountantHoa).where(AccountantHoa.hoa == get_hoas([hoa_id])[0])
    accountants = list(query)
    if not accountants:
        click.echo("No accountant yet: create one with flask create-accountant.")
        return
    click.echo("email\tname\thoas\tlast login")
    for accountant in accountants:
        hoas = ", ".join(f"{h.id} {h.name}" for h in accountant.hoas.order_by(Hoa.id))
        last = accountant.last_login_at.strftime("%Y-%m-%d %H:%M") \
            if accountant.last_login_at else "never"
        click.echo(f"{accountant.email}\t{accountant.name or '-'}\t{hoas or '-'}\t{last}")


@bp.cli.command("reset-accountant-password")
@click.option("--email", required=True)
def reset_accountant_password_command(email):
    """Give an accountant a new generated password and end all of their office sessions."""
    accountant = get_accountant(email)
    password = generate_password(12)
    accountant.set_password(password)
    accountant.end_other_sessions()
    accountant.save()
    AuditEvent.record("office_password_reset", "", accountant=accountant)
    click.echo(f"New password for {accountant.email}: {password}")
    click.echo("Every office session of this accountant has ended.")


@bp.cli.command("import")
@click.option("--hoa", "hoa_id", type=int, required=True, help="The HOA's id.")
@click.option("--dry-run", is_flag=True, help="Check the files and show the totals only.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def import_command(hoa_id, dry_run, paths):
    """Load the billing program's files (accounts, charges, payments, meters) into an HOA."""
    hoa = get_hoas([hoa_id])[0]
    files = [(PurePath(p).name, Path(p).read_bytes()) for p in paths]
    with importer.request_context():
        with click.progressbar(length=len(files), label="Checking", file=sys.stderr) as bar:
            batch = Batch(hoa, files, progress=lambda _name: bar.update(1))
        for problem in batch.problems:
            click.echo(str(problem), err=True)
        if not batch.ok:
            click.echo(f"{len(batch.problems)} problem(s); nothing was saved.", err=True)
            sys.exit(1)
        for line in summary_lines(batch.summary()):
            click.echo(line)
        if dry_run:
            click.echo("Dry run: nothing was saved.")
            return
        with db.atomic():
            mailing = charge_letters.plan(hoa, batch.save(), job="cli")
        charge_letters.post(mailing)
        click.echo("Saved.")


def summary_lines(summary):
    """The preview's figures as plain lines for the command line."""
    accounts, meters = summary["accounts"], summary["meters"]
    lines = [f"{f['name']}: {f['kind']}, {f['rows']} rows, SHA-256 {f['sha256'][:16]}…"
             for f in summary["files"]]
    if accounts["rows"]:
        lines.append(f"accounts: {accounts['rows']} ({accounts['new']} new, "
                     f"{accounts['updated']} updated)")
    for month, t in summary["charges"]:
        lines.append(f"charges {month:%m.%Y}: {t['rows']} rows, {t['accounts']} accounts, "
                     f"charged {format_money(t['amount'])}, recalculations "
                     f"{format_money(t['recalculation'])}, benefits {format_money(t['benefit'])}, "
                     f"to pay {format_money(t['to_pay'])}")
    for month, t in summary["payments"]:
        lines.append(f"payments {month:%m.%Y}: {t['rows']} rows, {format_money(t['amount'])}")
    for change in summary["changes"]:
        lines.append(f"{change.kind} {change.month:%m.%Y} replaced: {change.rows_before} rows, "
                     f"{format_money(change.sum_before)} -> {change.rows_after} rows, "
                     f"{format_money(change.sum_after)}")
        if change.warning:
            lines.append(change.warning)
    if meters["rows"]:
        lines.append(f"meters: {meters['rows']} " + ", ".join(
            f"{kind} {n}" for kind, n in meters["kinds"].items()))
    return lines


def valid_email(email):
    """The address in the form it is stored in, or the command stops with the reason."""
    email = email.strip().lower()
    if not is_email_address(email):
        raise click.BadParameter(f"{email!r} is not an e-mail address.", param_hint="--email")
    return email


def get_accountant(email):
    accountant = Accountant.get_or_none(Accountant.email == email.strip().lower())
    if accountant is None:
        raise click.ClickException(f"No accountant with e-mail {email.strip()}. "
                                   "See them with flask list-accountants.")
    return accountant


def get_hoas(hoa_ids):
    hoas = [Hoa.get_or_none(Hoa.id == i) for i in hoa_ids]
    if None in hoas:
        raise click.ClickException(f"No HOA with id {hoa_ids[hoas.index(None)]}. "
                                   "See them with flask list-hoas.")
    return hoas


def attach(accountant, hoa):
    AccountantHoa.create(accountant=accountant, hoa=hoa)
    AuditEvent.record("accountant_attached", "", hoa=hoa, accountant=accountant)


@bp.cli.command("receipts")
@click.option("--hoa", "hoa_id", type=int, required=True, help="The HOA's id.")
@click.option("--period", required=True, help="The month, YYYY-MM.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The file to write: FILE.pdf for one PDF, FILE.zip for the office's files "
                   "(RECEIPTS_PAGES_PER_FILE pages each, drawn on RECEIPTS_PROCESSES cores).")
def receipts_command(hoa_id, period, output):
    """Print every account's receipt for a month, in address order."""
    hoa = Hoa.get_or_none(Hoa.id == hoa_id)
    if hoa is None:
        raise click.BadParameter(f"no HOA with id {hoa_id}", param_hint="--hoa")
    month = parse_period(period)
    if month is None:
        raise click.BadParameter("expected a month like 2026-03", param_hint="--period")
    accounts = accounts_with_data(hoa, month)
    if not accounts:
        raise click.ClickException(f"{hoa.name} has no data for {period}; nothing printed.")
    missing = receipts.missing_requisites(hoa)
    if missing:
        click.echo(f"Warning: requisites missing ({', '.join(missing)}); "
                   "receipts are printed without the QR code.", err=True)
    with click.progressbar(length=len(accounts), label="Receipts") as bar:
        if output.lower().endswith(".zip"):
            slices = {}

            def keep(n, files):
                slices[n] = files
                bar.update(sum(count for _data, count, _pages in files))
            house_receipts.draw(hoa, month, accounts, keep)
            files = [[data] for n in sorted(slices) for data, _c, _p in slices[n]]
            with open(output, "wb") as out:
                for _ in receipt_files.write_zip(out, month, files):
                    pass
        else:
            Path(output).write_bytes(house_receipts.house_receipts(hoa, month, accounts,
                                                                   progress=bar.update))
    click.echo(f"{len(accounts)} receipts written to {output}")

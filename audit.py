"""The security log: the accountant sees their HOA's events, the operator all of them."""

import click
from flask import Blueprint, render_template, request
from peewee import JOIN

import audit_events
from access import accountant_required, get_hoa_or_404
from importer import request_context
from models import Accountant, AccountantHoa, AuditEvent, Resident

bp = Blueprint("office_audit", __name__, url_prefix="/office", cli_group=None)

PER_PAGE = 50


def events(hoa=None, since=None):
    """Newest first; for one HOA also its accountants' office logins, failed ones among them,
    which carry no HOA. A failed login with an e-mail no accountant has belongs to no HOA:
    only the operator's `audit` command shows it."""
    query = (AuditEvent.select(AuditEvent, Resident.email.alias("resident_email"),
                                Accountant.email.alias("accountant_email"))
             .join(Resident, join_type=JOIN.LEFT_OUTER, on=(AuditEvent.resident == Resident.id))
             .switch(AuditEvent)
             .join(Accountant, join_type=JOIN.LEFT_OUTER,
                   on=(AuditEvent.accountant == Accountant.id)))
    if hoa is not None:
        staff = AccountantHoa.select(AccountantHoa.accountant).where(AccountantHoa.hoa == hoa)
        query = query.where((AuditEvent.hoa == hoa) |
                            (AuditEvent.hoa.is_null() & AuditEvent.accountant.in_(staff)))
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).objects()


@bp.route("/<int:hoa_id>/audit")
@accountant_required
def audit(hoa_id):
    hoa = get_hoa_or_404(hoa_id)
    query = events(hoa)
    total = query.count()
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    return render_template("office/audit.html", hoa=hoa, events=query.paginate(page, PER_PAGE),
                           page=page, pages=pages, total=total, label=audit_events.label,
                           who=audit_events.who, describe=audit_events.describe)


@bp.cli.command("audit")
@click.option("--hoa", "hoa_id", type=int, help="Only this HOA's events (its id).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%d %H:%M"]),
              help="From this day (YYYY-MM-DD) or moment on.")
@click.option("--limit", default=100, show_default=True, help="At most this many, newest first.")
def audit_command(hoa_id, since, limit):
    """Print the security log: time, event, HOA, account, login, address, what happened."""
    with request_context():  # the labels are in the server's language, as the office shows
        for event in events(hoa_id, since).limit(limit):
            said = ": ".join(part for part in (audit_events.label(event),
                                               audit_events.describe(event)) if part)
            click.echo("\t".join([
                event.at.strftime("%Y-%m-%d %H:%M:%S"), event.event, str(event.hoa_id or "-"),
                event.account_number or "-", audit_events.who(event) or "-", event.ip or "-",
                " ".join(said.split())]))

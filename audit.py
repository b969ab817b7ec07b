"""The security log: the accountant sees their HOA's events, the operator all of them."""

import click
from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from access import accountant_required, get_hoa_or_404
from models import Accountant, AccountantHoa, AuditEvent, Resident

bp = Blueprint("office_audit", __name__, url_prefix="/office", cli_group=None)

PER_PAGE = 50

EVENT_LABELS = {
    "register": _l("Registration of an account"),
    "register_check_failed": _l("Registration refused: code or e-mail does not match"),
    "activate": _l("Registration activated"),
    "activation_resent": _l("Activation e-mail sent again"),
    "login": _l("Resident logged in"),
    "login_failed": _l("Resident login failed"),
    "password_changed": _l("Password changed by the resident"),
    "password_reset_requested": _l("New password requested"),
    "password_reset": _l("New password confirmed"),
    "email_changed": _l("Resident's e-mail changed"),
    "email_change_requested": _l("Resident asked to change the e-mail"),
    "logout_others": _l("Resident logged out on every other device"),
    "release": _l("Registration released"),
    "office_login": _l("Accountant logged in"),
    "office_login_failed": _l("Accountant login failed"),
    "office_password_changed": _l("Password changed by the accountant"),
    "office_password_reset": _l("Accountant's password reset by the operator"),
    "office_logout_others": _l("Accountant logged out on every other device"),
    "import": _l("Data loaded"),
    "readings_exported": _l("Data downloaded"),
    "settings_changed": _l("HOA settings changed"),
}


def events(hoa=None, since=None):
    """Newest first; for one HOA also its accountants' office logins, which carry no HOA."""
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


def who(event):
    return event.resident_email or event.accountant_email or ""


@bp.route("/<int:hoa_id>/audit")
@accountant_required
def audit(hoa_id):
    hoa = get_hoa_or_404(hoa_id)
    query = events(hoa)
    total = query.count()
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    return render_template("office/audit.html", hoa=hoa, events=query.paginate(page, PER_PAGE),
                           page=page, pages=pages, total=total, labels=EVENT_LABELS, who=who)


@bp.cli.command("audit")
@click.option("--hoa", "hoa_id", type=int, help="Only this HOA's events (its id).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%d %H:%M"]),
              help="From this day (YYYY-MM-DD) or moment on.")
@click.option("--limit", default=100, show_default=True, help="At most this many, newest first.")
def audit_command(hoa_id, since, limit):
    """Print the security log: time, event, HOA, account, login, address, detail."""
    for event in events(hoa_id, since).limit(limit):
        click.echo("\t".join([
            event.at.strftime("%Y-%m-%d %H:%M:%S"), event.event, str(event.hoa_id or "-"),
            event.account_number or "-", who(event) or "-", event.ip or "-",
            " ".join((event.detail or "").split())]))

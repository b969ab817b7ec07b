"""Who may open a page, and what a request may ask for: the login checks, the things of the
current resident or accountant (404 for anyone else's), the client's address, a safe `next`."""
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from meter_models import Meter
from models import AccountantHoa, Hoa
from periods import parse_period


def client_ip():
    return request.remote_addr or ""


def resident_required(view):
    """Only a logged-in resident; accountants and strangers go to the login page."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated or current_user.login_kind != "r":
            return current_app.login_manager.unauthorized()
        return view(*args, **kwargs)
    return wrapped


def accountant_required(view):
    """Only a logged-in accountant; residents and strangers go to the office login."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated or current_user.login_kind != "a":
            return redirect(url_for("office.login", next=request.full_path))
        return view(*args, **kwargs)
    return wrapped


def safe_next(target, default):
    """Follow `next` only to a path on this site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//") and "\\" not in target:
            return target
    return default


def one_or_404(model, *conditions):
    """The row of `model` meeting every condition (its id and the owner it must belong to);
    none is a 404, so that another HOA's or resident's id looks like one that never was."""
    row = model.get_or_none(*conditions)
    if row is None:
        abort(404)
    return row


def get_hoa_or_404(hoa_id):
    """The HOA with this id if the current accountant works with it; otherwise 404."""
    hoa = (Hoa.select().join(AccountantHoa)
           .where(Hoa.id == hoa_id, AccountantHoa.accountant == current_user.id).first())
    if hoa is None:
        abort(404)
    return hoa


def get_meter_or_404(meter_id):
    """A meter of the current resident's account; anything else is 404."""
    return one_or_404(Meter, Meter.id == meter_id, Meter.account == current_user.account)


def period_from_url(text):
    """The month of a URL part like '2026-03'; 404 when it is not a month."""
    period = parse_period(text)
    if period is None:
        abort(404)
    return period

"""Public pages: the landing page with notices, help, privacy policy, language switch."""
from flask import Blueprint, redirect, render_template, request, session, url_for

from access import safe_next
from models import Notice

bp = Blueprint("pages", __name__)


@bp.route("/")
def index():
    return render_template("index.html", notices=Notice.showing())


@bp.route("/help")
def help():
    return render_template("help.html")


@bp.route("/privacy")
def privacy():
    return render_template("privacy.html")


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code):
    if code in ("ru", "en"):
        session["lang"] = code
    return redirect(safe_next(request.form.get("next"), url_for("pages.index")))

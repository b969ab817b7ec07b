"""The residents' documents in the cabinet (blueprint `documents`); the public ones on the
HOA's page and every document's download (`documents_public`: whether a visitor may read a
document is decided per document, public or of the visitor's HOA)."""
from flask import Blueprint, abort, render_template, request
from flask_login import current_user

import storedfiles
from access import resident_required
from documents.models import CATEGORIES, Document
from models import Hoa
from speedups import Prepared

bp = Blueprint("documents", __name__, template_folder="templates")
public_bp = Blueprint("documents_public", __name__)

PER_PAGE = 50


def chosen_category():
    category = request.args.get("category") or None
    return category if category in CATEGORIES else None


def page_of(query):
    total = query.count()
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    return query.paginate(page, PER_PAGE), page, pages


@bp.route("/cabinet/documents")
@resident_required
def index():
    hoa = current_user.account.hoa
    category = chosen_category()
    documents, page, pages = page_of(Document.listed(hoa, category=category))
    return render_template("documents/list.html", hoa=hoa, documents=documents, page=page,
                           pages=pages, category=category, categories=CATEGORIES)


@public_bp.route("/hoa/<int:hoa_id>/documents")
def public(hoa_id):
    """The HOA's public documents, for anyone: members and people thinking of buying a flat."""
    hoa = Hoa.get_or_none(Hoa.id == hoa_id) or abort(404)
    category = chosen_category()
    documents, page, pages = page_of(Document.listed(hoa, public_only=True, category=category))
    return render_template("documents/list.html", hoa=hoa, documents=documents, page=page,
                           pages=pages, category=category, categories=CATEGORIES)


def may_read(document):
    """Public documents are everyone's; the others only the HOA's logged-in residents'."""
    if document.public:
        return True
    return (current_user.is_authenticated and current_user.login_kind == "r"
            and current_user.account.hoa_id == document.hoa_id)


@public_bp.route("/documents/<int:document_id>")
def download(document_id):
    """The PDF, opened in the browser; a document the visitor may not read does not exist."""
    document = Document.get_or_none(Document.id == document_id)
    if document is None or not may_read(document):
        abort(404)
    return storedfiles.send(document.file, inline=True)


LATEST_PUBLIC = Prepared(Document.latest_public)


@public_bp.app_template_global("public_documents")
def public_documents(limit=10):
    """The newest public documents of every HOA (the landing page lists them)."""
    return list(LATEST_PUBLIC(limit))

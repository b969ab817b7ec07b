"""A resident sees only their own account, an accountant only their own HOAs; all shown escaped.

The URLs are found in the app's URL map, so pages added by other areas are checked as they land.
An id in a URL is filled from FOREIGN_IDS: a new kind of id needs one line there.
"""
from datetime import date
from decimal import Decimal

import pytest

from testdb import row_counts
from meter_models import Meter, Reading
from models import Account, Charge, Hoa, ImportLog, MonthBalance, Notice, Payment
from polls.models import Poll, PollOption
from documents.models import Document
from importruns import ImportMonth, ImportRun
from receipt_files import HouseReceipts
from storedfiles import StoredFile
from tickets.models import Ticket
from uploads import ImportJob

# Blueprints whose pages belong to nobody in particular (a document's download decides per
# document, public or of the visitor's HOA: tests/test_documents.py checks it)
PUBLIC = {"static", "bootstrap", "pages", "auth", "documents_public"}
# URL arguments that are not ids of anything (signed tokens carry their own check)
NOT_IDS = {"token", "code", "filename"}
# URL arguments that choose within one's own data: a month, a file format
SCOPE = {"period": "2019-01", "month": "2019-01", "fmt": "csv", "kind": "cold_water"}
MONTH = date(2019, 1, 1)  # the month of the foreign data (the demo has its own months)
MARK = "FOREIGN-7Q"  # appears only in the other HOA's data
NEIGHBOUR = "NEIGHBOUR-3K"  # only in the data of another account of the resident's own HOA


def other_data(app):
    """Another account of the same HOA, and another HOA, each with some of everything."""
    with app.app_context():
        rassvet, polet = Hoa.get(Hoa.prefixes == "10"), Hoa.get(Hoa.prefixes == "20")
        neighbour = Account.by_number("100002")
        neighbour.owner = f"Соседов {NEIGHBOUR}"
        neighbour.save()
        stranger = Account.create(number="200001", hoa=polet, owner=f"Чужой {MARK}",
                                  address=f"пр. Космонавтов {MARK}")
        ids = {}
        for key, account, mark in (("neighbour", neighbour, NEIGHBOUR),
                                   ("stranger", stranger, MARK)):
            meter = Meter.create(account=account, kind="cold_water", unit="м³",
                                 serial=f"SN-{mark}")
            ids[key] = {
                "account": account,
                "meter": meter,
                "reading": Reading.create(meter=meter, period=MONTH,
                                          t1=Decimal("777.123")),
                "charge": Charge.create(account=account, period=MONTH,
                                        service=f"Услуга {mark}", amount=Decimal("9876.54")),
                "payment": Payment.create(account=account, period=MONTH,
                                          paid_on=date(2019, 1, 3), amount=Decimal("5555.55"),
                                          reference=mark),
                "balance": MonthBalance.create(account=account, period=MONTH),
                "ticket": Ticket.create(hoa=account.hoa, account=account, category=mark,
                                        text=f"Заявка {mark}", deadline=MONTH),
            }
        ids["stranger"]["notice"] = Notice.create(hoa=polet, title=f"Объявление {MARK}")
        ids["stranger"]["import"] = ImportLog.create(hoa=polet, filename=f"{MARK}.csv",
                                                     sha256="0" * 64)
        ids["stranger"]["printing"] = HouseReceipts.create(hoa=polet, period=MONTH,
                                                           fingerprint="f", state="done")
        ids["stranger"]["job"] = ImportJob.create(hoa=polet, token="x" * 32, state="done")
        ids["stranger"]["document"] = Document.create(
            hoa=polet, title=f"Смета {MARK}", category="estimates", dated=MONTH,
            file=StoredFile.create(token="t" * 24, name="smeta.pdf", content_type="application/pdf",
                                   size=5, data=b"%PDF-"))
        ids["stranger"]["run"] = ImportRun.create(hoa=polet, files=f"{MARK}.csv")
        ImportMonth.create(run=ids["stranger"]["run"], kind="payments", period=MONTH,
                           rows_after=1, sum_after=Decimal("5555.55"))
        ids["stranger"]["hoa"] = polet
        # a poll of the other HOA; in the own HOA, one that has not opened yet
        for key, hoa, opens_on, mark in (("stranger", polet, MONTH, MARK),
                                         ("neighbour", rassvet, date(2099, 1, 1), NEIGHBOUR)):
            ids[key]["poll"] = Poll.create(hoa=hoa, question=f"Опрос {mark}", opens_on=opens_on)
            PollOption.create(poll=ids[key]["poll"], position=1, text=f"Вариант {mark}")
        for key, hoa, mark in (("neighbour", rassvet, NEIGHBOUR), ("stranger", polet, MARK)):
            ids[key].update(meeting_things(hoa, ids[key]["account"], mark))
        ids["own_hoa"] = rassvet
        return ids


def meeting_things(hoa, account, mark):
    """A meeting a resident may not open (their own HOA's unpublished one, or another HOA's)
    with a question, the account's register entry and a material."""
    from meetings.models import Meeting, MeetingMaterial, Question, RegisterEntry
    from storedfiles import StoredFile
    meeting = Meeting.create(hoa=hoa, title=f"Собрание {mark}", starts_on=date(2019, 1, 1),
                             ends_on=date(2099, 1, 1), online_counts=True,
                             notice_published_on=date(2019, 1, 1) if mark == MARK else None)
    stored = StoredFile.create(token=f"t{meeting.id}{mark}", name="a.pdf", size=1,
                               content_type="application/pdf", data=b"%PDF-1.4 %%EOF")
    return {"meeting": meeting, "question": Question.create(meeting=meeting, title=mark),
            "entry": RegisterEntry.create(meeting=meeting, account=account, owner=mark,
                                          premises=mark, area=Decimal("10"),
                                          votes=Decimal("10"), ballot_number=1),
            "material": MeetingMaterial.create(meeting=meeting, title=mark, file=stored)}


def fill(name, objects):
    """The value for URL argument `name` that points at someone else's data."""
    if name in SCOPE:
        return SCOPE[name]
    key = name[:-3] if name.endswith("_id") else name
    if key in ("account", "number"):
        return objects["account"].number if name == "number" else objects["account"].id
    if key in objects:
        return objects[key].id
    pytest.fail(f"URL argument {name!r}: add how to point it at another account's or HOA's "
                f"data to tests/test_isolation.py")


def id_arguments(rule):
    return set(rule.arguments) - NOT_IDS - set(SCOPE)


def rules(app, office):
    found = []
    for rule in app.url_map.iter_rules():
        area = rule.endpoint.split(".")[0]
        if area in PUBLIC or (area.startswith("office") != office):
            continue
        found.append(rule)
    return found


def counts(app):
    return row_counts(app)


def url_for_rule(app, rule, values):
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def try_foreign(app, client, rule, objects):
    """Open a URL that names someone else's thing: 404 for every method, nothing changed."""
    if set(rule.arguments) & NOT_IDS or not id_arguments(rule):
        return []
    path = url_for_rule(app, rule, {name: fill(name, objects) for name in rule.arguments})
    tried = []
    for method in sorted(rule.methods & {"GET", "POST"}):
        before = counts(app)
        response = client.open(path, method=method, data={} if method == "POST" else None)
        assert response.status_code == 404, (method, path, response.status_code)
        assert counts(app) == before, (method, path)
        tried.append(f"{method} {path}")
    return tried


def own_pages(app, office, hoa_id=None):
    """GET pages that name nothing but the visitor's own HOA, a month or a format."""
    found = []
    for rule in rules(app, office):
        if "GET" not in rule.methods or set(rule.arguments) & NOT_IDS \
                or id_arguments(rule) - {"hoa_id"}:
            continue
        values = {name: SCOPE.get(name, hoa_id) for name in rule.arguments}
        found.append(url_for_rule(app, rule, values))
    return found


def test_resident_cannot_reach_other_accounts(demo, logged_in, client):
    ids = other_data(demo)
    tried = []
    for rule in rules(demo, office=False):
        for whose in ("neighbour", "stranger"):
            tried += try_foreign(demo, client, rule, ids[whose])
    pages = own_pages(demo, office=False)
    assert {"/cabinet", "/cabinet/profile", "/cabinet/password"} <= set(pages)
    for path in pages:
        response = client.get(path)
        assert response.status_code < 500, path
        assert MARK.encode() not in response.data, path
        assert NEIGHBOUR.encode() not in response.data, path
    print(f"resident isolation: {len(tried)} foreign URLs, {len(pages)} own pages")


def test_accountant_cannot_reach_other_hoas(demo, office, client):
    ids = other_data(demo)
    found = [r for r in rules(demo, office=True) if "hoa_id" in r.arguments]
    assert {r.endpoint for r in found} >= {"office.hoa", "office_audit.audit"}
    tried = []
    for rule in found:
        tried += try_foreign(demo, client, rule, {**ids["stranger"], "hoa": ids["stranger"]["hoa"]})
        # the own HOA's id with another HOA's thing in the same URL
        if id_arguments(rule) - {"hoa_id"}:
            own = {**ids["stranger"], "hoa": ids["own_hoa"]}
            tried += try_foreign(demo, client, rule, own)
    with demo.app_context():
        missing = Hoa.select().count() + 100
    for rule in found:
        if id_arguments(rule) == {"hoa_id"} and "GET" in rule.methods:
            values = {name: SCOPE.get(name, missing) for name in rule.arguments}
            assert client.get(url_for_rule(demo, rule, values)).status_code == 404, rule.rule
    for path in own_pages(demo, office=True, hoa_id=ids["own_hoa"].id):
        response = client.get(path)
        assert response.status_code < 500, path
        assert MARK.encode() not in response.data, path
    print(f"office isolation: {len(tried)} foreign URLs")


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_what_people_typed_is_shown_escaped(demo, logged_in, client, office):
    with demo.app_context():
        hoa = Hoa.get(Hoa.prefixes == "10")
        hoa.name = f"ТСЖ {HOSTILE}"
        hoa.accountant_contact = HOSTILE
        hoa.save()
        account = Account.by_number("100001")
        account.owner, account.address = HOSTILE, HOSTILE
        account.save()
        Notice.create(hoa=hoa, title=HOSTILE, body=HOSTILE)
        Charge.create(account=account, period=MONTH, service=HOSTILE,
                      unit=HOSTILE, amount=Decimal("1.00"))
        Meter.create(account=account, kind="cold_water", serial=HOSTILE, place=HOSTILE)
    resident = demo.test_client()
    from helpers import ResidentActions
    ResidentActions(resident, None).login(password=logged_in)
    client.post("/office/login", data={"email": "nobody@x.ru" + HOSTILE, "password": "x"})
    client.post("/office/login", data={"email": "buh@rassvet.example",
                                       "password": "office-pass-1"})
    pages = [(resident, path) for path in own_pages(demo, office=False)] + [(resident, "/")]
    pages += [(client, path) for path in own_pages(demo, office=True, hoa_id=office.id)]
    checked = 0
    for who, path in pages:
        response = who.get(path)
        if response.mimetype != "text/html":
            continue  # a PDF or a CSV is not run by the browser
        page = response.get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page, path
        checked += 1
    home = resident.get("/cabinet").get_data(as_text=True)
    assert "&lt;script&gt;alert(" in home
    print(f"escaping: {checked} pages checked")


def test_the_check_catches_a_leaking_page(tmp_path):
    """The control: a page that forgets the ownership check is caught."""
    from helpers import Outbox, ResidentActions
    from testdb import make_app
    app = make_app(tmp_path, "demo_full")

    def leak(meter_id):
        return Meter.get_by_id(meter_id).serial

    app.add_url_rule("/cabinet/leak/<int:meter_id>", endpoint="cabinet.leak", view_func=leak)
    client = app.test_client()
    actions = ResidentActions(client, Outbox(app.config["MAIL_OUTBOX"]))
    actions.login(password=actions.register_and_activate())
    ids = other_data(app)
    [rule] = [r for r in rules(app, office=False) if r.endpoint == "cabinet.leak"]
    with pytest.raises(AssertionError):
        try_foreign(app, client, rule, ids["neighbour"])

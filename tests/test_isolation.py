"""A resident sees only their own account, an accountant only their own HOAs; all shown escaped.

The URLs are found in the app's URL map, so pages added by other areas are checked as they land.
An id in a URL is filled from FOREIGN_IDS: a new kind of id needs one line there.
"""
from datetime import date
from decimal import Decimal

import pytest

from models import (
    MODELS, Account, Charge, Hoa, ImportLog, Meter, MonthBalance, Notice, Payment, Reading,
)

# Blueprints whose pages belong to nobody in particular
PUBLIC = {"static", "bootstrap", "pages", "auth"}
# URL arguments that are not ids of anything (signed tokens carry their own check)
NOT_IDS = {"token", "code", "filename"}
PERIOD = "2026-03"
MARK = "FOREIGN-7Q"  # appears only in the other account's / HOA's data


def other_data(app):
    """Another account of the same HOA, and another HOA, each with some of everything."""
    with app.app_context():
        rassvet, polet = Hoa.get(Hoa.prefixes == "10"), Hoa.get(Hoa.prefixes == "20")
        neighbour = Account.by_number("100002")
        neighbour.owner = f"Соседов {MARK}"
        neighbour.save()
        stranger = Account.create(number="200001", hoa=polet, owner=f"Чужой {MARK}",
                                  address=f"пр. Космонавтов {MARK}")
        ids = {}
        for key, account in (("neighbour", neighbour), ("stranger", stranger)):
            meter = Meter.create(account=account, kind="cold_water", unit="м³",
                                 serial=f"SN-{MARK}")
            ids[key] = {
                "account": account,
                "meter": meter,
                "reading": Reading.create(meter=meter, period=date(2026, 3, 1),
                                          t1=Decimal("777.123")),
                "charge": Charge.create(account=account, period=date(2026, 3, 1),
                                        service=f"Услуга {MARK}", amount=Decimal("9876.54")),
                "payment": Payment.create(account=account, period=date(2026, 3, 1),
                                          paid_on=date(2026, 3, 3), amount=Decimal("5555.55"),
                                          reference=MARK),
                "balance": MonthBalance.create(account=account, period=date(2026, 3, 1)),
            }
        ids["stranger"]["notice"] = Notice.create(hoa=polet, title=f"Объявление {MARK}")
        ids["stranger"]["import"] = ImportLog.create(hoa=polet, filename=f"{MARK}.csv",
                                                     sha256="0" * 64)
        ids["stranger"]["hoa"] = polet
        ids["own_hoa"] = rassvet
        return ids


def fill(name, objects):
    """The value for URL argument `name` that points at someone else's data."""
    key = name[:-3] if name.endswith("_id") else name
    if key in ("account", "number"):
        return objects["account"].number if name == "number" else objects["account"].id
    if key in ("period", "month"):
        return PERIOD
    if key in objects:
        return objects[key].id
    pytest.fail(f"URL argument {name!r}: add how to point it at another account's or HOA's "
                f"data to tests/test_isolation.py")


def rules(app, office):
    found = []
    for rule in app.url_map.iter_rules():
        area = rule.endpoint.split(".")[0]
        if area in PUBLIC or (area.startswith("office") != office):
            continue
        found.append(rule)
    return found


def counts(app):
    with app.app_context():
        return {m.__name__: m.select().count() for m in MODELS}


def url_for_rule(app, rule, values):
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def try_foreign(app, client, rule, objects):
    args = [a for a in rule.arguments if a not in NOT_IDS]
    if not args or set(rule.arguments) & NOT_IDS:
        return []
    values = {name: fill(name, objects) for name in rule.arguments}
    path = url_for_rule(app, rule, values)
    tried = []
    for method in sorted(rule.methods & {"GET", "POST"}):
        before = counts(app)
        response = client.open(path, method=method, data={} if method == "POST" else None)
        assert response.status_code == 404, (method, path, response.status_code)
        assert counts(app) == before, (method, path)
        tried.append(f"{method} {path}")
    return tried


def test_resident_cannot_reach_other_accounts(demo, logged_in, client):
    ids = other_data(demo)
    tried = []
    for rule in rules(demo, office=False):
        for whose in ("neighbour", "stranger"):
            tried += try_foreign(demo, client, rule, ids[whose])
    pages = [r for r in rules(demo, office=False) if not r.arguments and "GET" in r.methods]
    assert {r.endpoint for r in pages} >= {"cabinet.home", "cabinet.profile", "cabinet.password"}
    for rule in pages:
        page = client.get(rule.rule).get_data(as_text=True)
        assert MARK not in page, rule.rule
    print(f"resident isolation: {len(tried)} foreign URLs, {len(pages)} own pages")


def test_accountant_cannot_reach_other_hoas(demo, office, client):
    ids = other_data(demo)
    found = [r for r in rules(demo, office=True) if "hoa_id" in r.arguments]
    assert {r.endpoint for r in found} >= {"office.hoa", "office_audit.audit"}
    tried = []
    for rule in found:
        tried += try_foreign(demo, client, rule, {**ids["stranger"], "hoa": ids["stranger"]["hoa"]})
        # the own HOA's id with another HOA's thing in the same URL
        # (a month is nobody's: the own HOA's receipts for a month it has data for are its own)
        if set(rule.arguments) - {"hoa_id", "period"} - NOT_IDS:
            own = {**ids["stranger"], "hoa": ids["own_hoa"]}
            tried += try_foreign(demo, client, rule, own)
    with demo.app_context():
        missing = Hoa.select().count() + 100
    for rule in found:
        if rule.arguments == {"hoa_id"} and "GET" in rule.methods:
            assert client.get(url_for_rule(demo, rule, {"hoa_id": missing})).status_code == 404
    for rule in found:
        if rule.arguments == {"hoa_id"} and "GET" in rule.methods:
            page = client.get(url_for_rule(demo, rule, {"hoa_id": ids["own_hoa"].id}))
            assert MARK not in page.get_data(as_text=True), rule.rule
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
        Charge.create(account=account, period=date(2026, 3, 1), service=HOSTILE,
                      unit=HOSTILE, amount=Decimal("1.00"))
        Meter.create(account=account, kind="cold_water", serial=HOSTILE, place=HOSTILE)
    resident = demo.test_client()
    from conftest import ResidentActions
    ResidentActions(resident, None).login(password=logged_in)
    client.post("/office/login", data={"email": "nobody@x.ru" + HOSTILE, "password": "x"})
    client.post("/office/login", data={"email": "buh@rassvet.example",
                                       "password": "office-pass-1"})
    pages = [(resident, r.rule) for r in rules(demo, office=False)
             if not r.arguments and "GET" in r.methods]
    pages += [(resident, "/")]
    pages += [(client, url_for_rule(demo, r, {"hoa_id": office.id}))
              for r in rules(demo, office=True)
              if r.arguments == {"hoa_id"} and "GET" in r.methods]
    for who, path in pages:
        page = who.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page, path
    home = resident.get("/cabinet").get_data(as_text=True)
    assert "&lt;script&gt;alert(" in home
    print(f"escaping: {len(pages)} pages checked")


def test_the_check_catches_a_leaking_page(tmp_path):
    """The control: a page that forgets the ownership check is caught."""
    import demo as demo_data
    from conftest import ResidentActions, make_app, Outbox
    app = make_app(tmp_path)

    def leak(meter_id):
        return Meter.get_by_id(meter_id).serial

    app.add_url_rule("/cabinet/meters/<int:meter_id>", endpoint="cabinet.leak", view_func=leak)
    with app.app_context():
        demo_data.load(echo=lambda *a: None)
    client = app.test_client()
    actions = ResidentActions(client, Outbox(app.config["MAIL_OUTBOX"]))
    actions.login(password=actions.register_and_activate())
    ids = other_data(app)
    [rule] = [r for r in rules(app, office=False) if r.endpoint == "cabinet.leak"]
    with pytest.raises(AssertionError):
        try_foreign(app, client, rule, ids["neighbour"])

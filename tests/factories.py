"""Money and meter data made directly with the models, for statement and receipt tests."""
from datetime import date, datetime
from decimal import Decimal

import pytest

from meter_models import Meter, Reading
from models import Charge, MonthBalance, Payment, db

D = Decimal
SERVICES = [
    # service, unit, volume, tariff
    ("Содержание и ремонт жилого помещения", "м²", "54.00", "32.5000"),
    ("Холодное водоснабжение", "м³", "4.200", "48.1200"),
    ("Горячее водоснабжение", "м³", "2.800", "221.3900"),
    ("Водоотведение", "м³", "7.000", "39.6100"),
    ("Электроснабжение", "кВт·ч", "180.000", "6.4300"),
    ("Обращение с ТКО", "чел.", "2.000", "118.7000"),
]


def add_month(account, period, opening=None, penalty="0", services=SERVICES,
              recalculation=None, benefit=None, payments=()):
    """One month of an account: its charges, stored balance (when `opening` is given) and
    payments as (paid_on, amount) pairs. Returns the sum the month charges, less benefits."""
    total = D("0")
    with db.atomic():
        for i, (service, unit, volume, tariff) in enumerate(services):
            amount = (D(volume) * D(tariff)).quantize(D("0.01"))
            recalc = D(recalculation or "0") if i == 0 else D("0")
            ben = D(benefit or "0") if i == 0 else D("0")
            Charge.create(account=account, period=period, service=service, unit=unit,
                          volume=D(volume), tariff=D(tariff), amount=amount,
                          recalculation=recalc, benefit=ben)
            total += amount + recalc - ben
        if opening is not None:
            MonthBalance.create(account=account, period=period, opening_balance=D(opening),
                                penalty=D(penalty))
        for paid_on, amount in payments:
            Payment.create(account=account, period=period, paid_on=paid_on, amount=D(amount),
                           reference=f"п/п {paid_on:%d%m}")
    return total


def add_meters(account, period):
    """A cold-water meter with two readings in the period and a two-zone electricity meter
    without readings (its initial values count)."""
    water = Meter.create(account=account, kind="cold_water", unit="м³", serial="ХВ-123456",
                         place="Ванная", zones=1, verified_until=date(2030, 5, 1),
                         initial_t1=D("10.000"))
    Reading.create(meter=water, period=period, t1=D("101.500"),
                   submitted_at=datetime(period.year, period.month, 20, 10, 0))
    Reading.create(meter=water, period=period, t1=D("102.250"),
                   submitted_at=datetime(period.year, period.month, 21, 9, 0))
    Reading.create(meter=water, period=period, t1=D("555.125"), status="declined",
                   submitted_at=datetime(period.year, period.month, 22, 9, 0))
    power = Meter.create(account=account, kind="electricity", unit="кВт·ч", serial="Э-777",
                         place="Коридор", zones=2, initial_t1=D("1500"), initial_t2=D("700"))
    return water, power


SERVICES_TOTAL = D("4249.06")  # the sum of SERVICES' amounts
AUG, SEP, OCT, JUL = date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1), date(2026, 7, 1)


def load_statements(app):
    """Account 100001 in debt over three months; 100002 (someone else) with an advance in
    July only. Returns the figures the tests expect, worked out by hand."""
    from models import Account
    with app.app_context():
        a = Account.get(Account.number == "100001")
        add_month(a, AUG, opening="1200.50", payments=[(date(2026, 8, 12), "1200.50")])
        add_month(a, SEP, payments=[(date(2026, 9, 14), "4000.00")])  # opening carried over
        add_month(a, OCT, opening="4498.12", penalty="15.30", recalculation="-100.00",
                  benefit="50.00", payments=[(date(2026, 10, 5), "2000.00"),
                                             (date(2026, 10, 11), "1500.00")])
        add_meters(a, OCT)
        b = Account.get(Account.number == "100002")
        add_month(b, JUL, opening="-5000.00", payments=[(date(2026, 7, 3), "777.77")])
    return {
        "aug_closing": D("4249.06"),
        "sep_closing": D("4498.12"),
        "oct_closing": D("5112.48"),  # 4498.12 + 4249.06 - 100 - 50 + 15.30 - 3500
        "b_closing": D("-1528.71"),  # -5000 + 4249.06 - 777.77
    }


def registration_code(app, number):
    """The code printed on the account's receipt, which registering a demo account asks for."""
    from models import Account, normalize_account
    with app.app_context():
        account = Account.get_or_none(Account.number == normalize_account(number))
        return account.registration_code if account else ""


def make_resident(number="100001", password="resident-pass-1", email=None, **fields):
    """An activated resident login for the account (call inside an app context)."""
    from models import Account, Resident, now
    resident = Resident(account=Account.get(Account.number == number),
                        email=email or f"r{number}@example.ru", activated_at=now(), **fields)
    resident.set_password(password)
    resident.save()
    return resident


def login_as(client, number, password="resident-pass-1"):
    """Create an activated resident login for the account and log it in with the client."""
    resident = make_resident(number, password)
    response = client.post("/login", data={"account": number, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return resident


def browser_log_in(page, url, number, password):
    """Log a resident in through the login page of a real browser."""
    page.goto(url + "/login")
    page.fill("#account", number)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/cabinet")


@pytest.fixture
def figures(demo):
    """The statements of load_statements() on the demo's accounts; the expected figures."""
    return load_statements(demo)


@pytest.fixture
def resident_a(demo, figures, client):
    """A test client logged in as the resident of 100001, whose months are in `figures`."""
    with demo.app_context():
        login_as(client, "100001")
    return client

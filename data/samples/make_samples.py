"""Write the sample files of «ТСЖ «Рассвет»» that `flask demo` loads through the importer.

Run `python data/samples/make_samples.py` to refresh them. The data is made up and fixed
(a seeded generator), covering October 2025 to November 2026, so that the demo and the tests
see the same figures on any day. Each file shows a different way files really arrive:
accounts in Windows-1251 (as 1C writes them), charges in UTF-8 with a BOM and decimal commas,
payments with «л/с №…» numbers, meters with commas and ISO dates.
"""
import csv
import random
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIRST, LAST = date(2025, 10, 1), date(2026, 11, 1)
STREET = "г. Самара, ул. Солнечная, д. 12"
OWNERS = ["Иванов И. И.", "Петрова А. С.", "Сидоров П. В.", "Кузнецова Е. Н.", "Смирнов А. А.",
          "Попова О. Г.", "Васильев Д. М.", "Соколова Т. П."]
ACCOUNTS = 40
# (service, unit, tariff until July 2026); tariffs rise by 11.9 % on 1 July 2026
SERVICES = [
    ("Содержание жилья", "м²", Decimal("32.50")),
    ("Холодное водоснабжение", "м³", Decimal("35.82")),
    ("Горячее водоснабжение", "м³", Decimal("220.15")),
    ("Водоотведение", "м³", Decimal("30.12")),
    ("Электроэнергия", "кВт·ч", Decimal("5.87")),
    ("Отопление", "Гкал", Decimal("2550.00")),
    ("Обращение с ТКО", "чел.", Decimal("120.50")),
    ("Взнос на капремонт", "м²", Decimal("11.20")),
]
HEATING_MONTHS = {10, 11, 12, 1, 2, 3, 4}
BANKS = ["Сбербанк Онлайн", "ВТБ Онлайн", "Т-Банк", "Почта России", "касса ТСЖ"]


def cents(value):
    return Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP)


def months():
    month = FIRST
    while month <= LAST:
        yield month
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)


def comma(value, places=2):
    """Decimal comma, thousands separated by a non-breaking space: '1 234,50'."""
    text = f"{Decimal(value):,.{places}f}".replace(",", "\u00a0").replace(".", ",")
    return text


def account(i):
    return dict(number=str(100001 + i), apartment=str(i + 1), owner=OWNERS[i % len(OWNERS)],
                area=Decimal("35.40") + i % 5 * Decimal("12.3"), residents=1 + i % 4)


def tariff(base, month):
    return (base * Decimal("1.119")).quantize(Decimal("0.01")) if month >= date(2026, 7, 1) \
        else base


def charges_for(rng, i, month):
    """The month's lines of account i: (service, unit, volume, tariff, amount, recalc, benefit)."""
    a = account(i)
    people = a["residents"]
    cold = cents(people * Decimal("3.1") + Decimal(rng.randint(-40, 60)) / 100)
    hot = cents(people * Decimal("2.0") + Decimal(rng.randint(-30, 40)) / 100)
    volumes = {
        "Содержание жилья": a["area"],
        "Холодное водоснабжение": cold,
        "Горячее водоснабжение": hot,
        "Водоотведение": cold + hot,
        "Электроэнергия": Decimal(people * 55 + rng.randint(20, 120)),
        "Отопление": (a["area"] * Decimal("0.0198")).quantize(Decimal("0.001")),
        "Обращение с ТКО": Decimal(people),
        "Взнос на капремонт": a["area"],
    }
    lines = []
    for service, unit, base in SERVICES:
        if service == "Отопление" and month.month not in HEATING_MONTHS:
            continue
        price = tariff(base, month)
        amount = cents(volumes[service] * price)
        recalc = Decimal("0.00")
        benefit = Decimal("0.00")
        if service == "Горячее водоснабжение" and month == date(2026, 6, 1):
            recalc = -cents(amount * Decimal("0.35"))  # hot water was off for ten days
        if service == "Холодное водоснабжение" and month == date(2026, 2, 1) and i % 6 == 2:
            recalc = cents(Decimal("3.5") * price)  # after a meter check
        if service == "Взнос на капремонт" and i % 9 == 4:
            benefit = amount  # owner over 80: the contribution is compensated in full
        if service == "Отопление" and i % 11 == 6:
            benefit = cents(amount * Decimal("0.5"))  # labour veteran
        lines.append((service, unit, volumes[service], price, amount, recalc, benefit))
    return lines


def opening(i):
    if i % 5 == 0:
        return Decimal(3200 + i * 150)  # debtors
    if i % 7 == 3:
        return Decimal(-800 - i * 20)  # paid in advance
    return Decimal("0.00")


def pays(rng, i, month, balance, bill):
    """What account i pays in a month, given its opening balance and the month's bill."""
    if i % 5 == 0:  # keeps an old debt and skips every fourth month
        return max(balance - opening(i), Decimal("0.00")) if month.month % 4 else Decimal("0.00")
    if i % 7 == 3:  # pays round sums ahead of the bill
        return cents(((balance + bill + 1500) // 1000 + 1) * 1000)
    return balance if balance > 0 else Decimal("0.00")


def build():
    rng = random.Random(2026)
    charge_rows, payment_rows = [], []
    for i in range(ACCOUNTS):
        balance, last_bill = opening(i), Decimal("0.00")
        number = str(100001 + i)
        for month in months():
            lines = charges_for(rng, i, month)
            bill = sum(amount + recalc - benefit for *_x, amount, recalc, benefit in lines)
            overdue = balance - last_bill  # the last bill is not overdue yet
            penalty = cents(overdue * Decimal("0.01")) if overdue > 1000 else Decimal("0.00")
            for service, unit, volume, price, amount, recalc, benefit in lines:
                charge_rows.append([
                    f"{month:%m.%Y}", number, service, unit, comma(volume, 3), comma(price),
                    comma(amount), comma(recalc), comma(benefit), comma(balance), comma(penalty),
                    comma(amount + recalc - benefit)])
            paid = pays(rng, i, month, balance, bill)
            if paid > 0:
                paid_on = month.replace(day=rng.randint(3, 24))
                payment_rows.append([f"л/с №{number}", f"{paid_on:%d.%m.%Y}",
                                     comma(paid), f"{month:%m.%Y}", rng.choice(BANKS)])
            balance, last_bill = balance + bill + penalty - paid, bill
    return charge_rows, payment_rows


def meter_rows():
    rng = random.Random(7)
    rows = []
    for i in range(ACCOUNTS):
        number = str(100001 + i)
        installed = date(2019 + i % 5, 1 + i % 12, 10)
        due = date(2027 + i % 5, 1 + i % 12, 1)
        meters = [("ХВС", "санузел", 1, rng.randint(100, 400)),
                  ("ГВС", "санузел", 1, rng.randint(50, 200))]
        zones = 3 if i == 2 else 2 if i % 4 == 1 else 1
        meters.append(("электроэнергия", "прихожая", zones, rng.randint(5000, 15000)))
        if i % 3 == 0:
            meters.append(("газ", "кухня", 1, rng.randint(1000, 3000)))
        if i % 8 == 5:
            meters.append(("тепло", "коридор", 1, rng.randint(5, 30)))
        for n, (kind, place, zones, first) in enumerate(meters):
            verified = due
            if number == "100002" and kind == "ГВС":
                verified = date(2026, 3, 31)  # overdue: the resident must call a verifier
            t2 = str(rng.randint(2000, 6000)) if zones >= 2 else ""
            t3 = str(rng.randint(1000, 3000)) if zones >= 3 else ""
            rows.append([number, kind, f"{number[-3:]}{n}{rng.randint(10000, 99999)}", place,
                         str(zones), verified.isoformat(), installed.isoformat(), str(first),
                         t2, t3])
    return rows


def write(name, header, rows, encoding="utf-8", delimiter=";"):
    with open(HERE / name, "w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


def main():
    accounts = []
    # random, so that one receipt's code tells nothing about the neighbours' codes
    codes = random.Random("registration codes")
    for i in range(ACCOUNTS):
        a = account(i)
        email = f"kv{i + 1}@example.ru" if i % 10 == 7 else ""
        accounts.append([a["number"], STREET, a["apartment"], a["owner"], comma(a["area"]),
                         a["residents"], email, str(codes.randrange(100000, 1000000))])
    write("accounts.csv", ["Лицевой счёт", "Адрес", "Квартира", "Собственник", "Площадь",
                           "Проживает", "E-mail", "Код регистрации"], accounts, encoding="cp1251")
    charges, payments = build()
    write("charges.csv", ["Период", "Лицевой счёт", "Услуга", "Ед. изм.", "Объём", "Тариф",
                          "Начислено", "Перерасчёт", "Льгота", "Входящее сальдо", "Пени",
                          "К оплате"], charges, encoding="utf-8-sig")
    write("payments.csv", ["Лицевой счёт", "Дата оплаты", "Сумма", "Период", "Плательщик/банк"],
          payments)
    write("meters.csv", ["Лицевой счёт", "Вид", "Заводской номер", "Место установки",
                         "Тарифность", "Поверка до", "Дата установки", "Начальные показания Т1",
                         "Начальные показания Т2", "Начальные показания Т3"],
          meter_rows(), delimiter=",")


if __name__ == "__main__":
    main()

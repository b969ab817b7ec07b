"""Demo data: two HOAs, one with 40 accounts and one whose data is not loaded yet."""
from decimal import Decimal

from models import Account, Hoa, db

STREET = "г. Самара, ул. Солнечная, д. 12"
OWNERS = ["Иванов И. И.", "Петрова А. С.", "Сидоров П. В.", "Кузнецова Е. Н.", "Смирнов А. А.",
          "Попова О. Г.", "Васильев Д. М.", "Соколова Т. П."]


def load(echo=print):
    with db.atomic():
        rassvet = Hoa.create(
            name="ТСЖ «Рассвет»", inn="6312345678", kpp="631201001", address=STREET,
            phone="+7 (846) 200-00-01", email="buh@rassvet.example",
            accountant_contact="бухгалтер Анна Викторовна", prefixes="10",
            recipient="ТСЖ «Рассвет»", bank_name="ПАО «Демобанк»", bic="043601999",
            settlement_account="40703810900000001234", corr_account="30101810200000000999",
            window_start_day=1, window_end_day=31)
        Hoa.create(name="ЖСК «Полёт»", inn="6313456789", kpp="631301001",
                   address="г. Самара, пр. Космонавтов, д. 5", prefixes="20",
                   phone="+7 (846) 200-00-02", accountant_contact="бухгалтер Олег Петрович")
        for i in range(40):
            Account.create(number=str(100001 + i), hoa=rassvet, address=STREET,
                           apartment=str(i + 1), owner=OWNERS[i % len(OWNERS)],
                           area=Decimal("35.40") + i % 5 * Decimal("12.3"), residents=1 + i % 4)
    echo("Demo data loaded: ТСЖ «Рассвет» (accounts 100001–100040), ЖСК «Полёт» (prefix 20, "
         "no accounts).")

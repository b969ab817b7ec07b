"""Demo data: two HOAs; «Рассвет» gets its accounts, 14 months of charges, payments and meters
from data/samples/ through the importer (so demo and import cannot drift apart), «Полёт» none."""
from datetime import date
from pathlib import Path

import importer
from importbatch import Batch
from models import Account, Accountant, AccountantHoa, Hoa, Notice, db
from periods import today
from tickets import demo as sample_requests

SAMPLES = Path(__file__).resolve().parent / "data" / "samples"
SAMPLE_FILES = ("accounts.csv", "charges.csv", "payments.csv", "meters.csv")
STREET = "г. Самара, ул. Солнечная, д. 12"
# The demo's office login; a real server gets its accountants from `flask create-accountant`.
DEMO_ACCOUNTANT = "office@rassvet.example"
DEMO_ACCOUNTANT_PASSWORD = "demo-office-2026"


def load(echo=print, files=SAMPLE_FILES):
    """Create the demo HOAs and load `files` from data/samples/ (tests may load fewer)."""
    with db.atomic():
        rassvet = Hoa.create(
            name="ТСЖ «Рассвет»", inn="6312345675", kpp="631201001", address=STREET,
            phone="+7 (846) 200-00-01", email="buh@rassvet.example",
            accountant_contact="бухгалтер Анна Викторовна", prefixes="10",
            recipient="ТСЖ «Рассвет»", bank_name="ПАО «Демобанк»", bic="043601999",
            settlement_account="40703810200000001234", corr_account="30101810400000000999",
            window_start_day=1, window_end_day=31, registration_check="code")
        Hoa.create(name="ЖСК «Полёт»", inn="6313456787", kpp="631301001",
                   address="г. Самара, пр. Космонавтов, д. 5", prefixes="20",
                   phone="+7 (846) 200-00-02", accountant_contact="бухгалтер Олег Петрович")
        with importer.request_context():
            batch = Batch(rassvet, [(name, (SAMPLES / name).read_bytes())
                                             for name in files])
            if not batch.ok:
                raise RuntimeError("\n".join(str(p) for p in batch.problems[:20]))
            batch.save()
        Notice.create(hoa=rassvet, title="Поверка счётчиков",
                      body="Проверьте дату поверки своих счётчиков в разделе «Показания». "
                           "Показания счётчика с истёкшей поверкой не принимаются.",
                      starts_on=date(2026, 11, 1))
        Notice.create(hoa=rassvet, title="Отключение горячей воды",
                      body="С 1 по 10 июня 2026 года горячей воды не будет; перерасчёт сделан "
                           "в квитанции за июнь.", starts_on=date(2026, 5, 20),
                      ends_on=date(2026, 6, 30))
        accountant = Accountant(email=DEMO_ACCOUNTANT, name="Анна Викторовна")
        accountant.set_password(DEMO_ACCOUNTANT_PASSWORD)
        accountant.save()
        AccountantHoa.create(accountant=accountant, hoa=rassvet)
        if files == SAMPLE_FILES:  # the whole demo: the office finds some requests too
            sample_requests.load(rassvet, today())
    echo(f"Accountant's office: /office/login as {DEMO_ACCOUNTANT} / {DEMO_ACCOUNTANT_PASSWORD}")
    echo("Demo data loaded: ТСЖ «Рассвет» (accounts 100001–100040, charges and payments "
         "10.2025–11.2026, meters), ЖСК «Полёт» (prefix 20, no accounts).")
    echo(f"Registering asks for the code printed on the receipt: account 100001 has "
         f"{rassvet.accounts.order_by(Account.number).first().registration_code}; "
         f"all of them: flask --app app registration-codes --hoa {rassvet.id}")

"""In a real browser: the accountant loads the sample files, checks the totals, confirms, and a
resident of the HOA can then register."""
from pathlib import Path

from factories import registration_code
from models import Accountant, AccountantHoa, Charge, Hoa

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"


def test_accountant_loads_the_samples_and_a_resident_registers(live_server, page):
    with live_server.app.app_context():
        hoa = Hoa.create(name="ТСЖ «Рассвет»", prefixes="10", email="buh@rassvet.example")
        accountant = Accountant(email="buh@rassvet.example")
        accountant.set_password("office-pass-1")
        accountant.save()
        AccountantHoa.create(accountant=accountant, hoa=hoa)

    # before the load the HOA's data is missing
    page.goto(f"{live_server.url}/register")
    page.fill("#account", "100001")
    page.fill("#email", "early@example.ru")
    page.check("#consent")
    page.click("main button[type=submit]")
    assert page.locator('[data-outcome="not_loaded"]').is_visible()

    page.goto(f"{live_server.url}/office/login")
    page.fill("#email", "buh@rassvet.example")
    page.fill("#password", "office-pass-1")
    page.click("main button[type=submit]")
    page.click("text=Загрузка данных")
    page.set_input_files("#files", [str(SAMPLES / name) for name in
                                    ("accounts.csv", "charges.csv", "payments.csv", "meters.csv")])
    page.click("text=Проверить файлы")

    assert page.locator("h1").inner_text() == "Проверка перед сохранением"
    assert "Лицевых счетов: 40, из них новых 40" in page.content()
    november = page.locator('#charges-totals tr[data-month="2026-11"]')
    assert "320" in november.inner_text() and "₽" in november.inner_text()
    assert page.locator("#payments-totals tbody tr").count() == 14
    with live_server.app.app_context():
        assert hoa.accounts.count() == 0  # nothing before the confirmation

    page.click("text=Подтвердить и сохранить")
    assert "Данные сохранены: accounts.csv, charges.csv, payments.csv, meters.csv." \
        in page.locator(".alert-success").inner_text()
    with live_server.app.app_context():
        assert hoa.accounts.count() == 40
        assert Charge.select().count() == 4280

    page.click("text=Выйти")
    page.goto(f"{live_server.url}/register")
    page.fill("#account", "л/с 100001")
    page.fill("#email", "resident@example.ru")
    page.fill("#code", registration_code(live_server.app, "100001"))  # printed on the receipt
    page.check("#consent")
    page.click("main button[type=submit]")
    assert page.locator('[data-outcome="registered"]').is_visible()

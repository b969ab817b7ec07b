"""The same code on SQLite and PostgreSQL: money, cascades, uniqueness (run by `make test-pg` too)."""
import threading
import time
from datetime import date
from decimal import Decimal
from urllib.request import urlopen

import pytest
from peewee import IntegrityError

import demo as demo_data
from meter_models import Meter, Reading
from models import Account, Charge, Hoa, Resident, db


def test_money_comes_back_exactly(demo):
    with demo.app_context():
        account = Account.by_number("100001")
        created = Charge.create(account=account, period=date(2026, 3, 1), service="Отопление",
                      volume=Decimal("1.234"), tariff=Decimal("2874.6512"),
                      amount=Decimal("123456789012.34"), recalculation=Decimal("-0.01"))
        charge = Charge.get_by_id(created.id)
        assert charge.amount == Decimal("123456789012.34")
        assert charge.tariff == Decimal("2874.6512")
        assert charge.to_pay == Decimal("123456789012.33")
        assert charge.period == date(2026, 3, 1)


def test_deleting_an_hoa_removes_its_accounts_and_their_records(demo):
    with demo.app_context():
        hoa = Hoa.get(Hoa.prefixes == "10")
        account = Account.by_number("100001")
        resident = Resident.create(account=account, email="a@example.ru", password_hash="x")
        meter = Meter.create(account=account, kind="cold_water", serial="A1")
        Reading.create(meter=meter, period=date(2026, 3, 1), t1=Decimal("12.5"),
                       resident=resident)
        Charge.create(account=account, period=date(2026, 3, 1), service="Вода")
        hoa.delete_instance()
        assert Account.select().where(Account.hoa == hoa.id).count() == 0
        assert Resident.select().count() == 0
        assert Reading.select().count() == 0
        assert Charge.select().count() == 0
        assert Hoa.select().count() == 1


def test_a_second_account_with_the_same_number_is_refused(demo):
    with demo.app_context():
        hoa = Hoa.get(Hoa.prefixes == "10")
        with pytest.raises(IntegrityError):
            with db.atomic():
                Account.create(number="100001", hoa=hoa)
        assert Account.select().where(Account.number == "100001").count() == 1
        assert Account.select().count() == 40  # the connection is still usable afterwards


def test_connections_are_reused_across_the_servers_threads(live_server):
    """Each request of the threaded server runs in a new thread and reuses a kept connection."""
    with live_server.app.app_context():
        demo_data.load(echo=lambda *a: None)
    served = []  # (thread, connection) of each request; kept alive, so none is mistaken for another

    def which_connection():
        count = Account.select().count()
        served.append((threading.current_thread(), db.connection()))
        return str(count)
    live_server.app.add_url_rule("/test/connection", view_func=which_connection)
    for _ in range(5):
        with urlopen(live_server.url + "/") as response:
            assert response.status == 200
        with urlopen(live_server.url + "/test/connection") as response:
            assert response.read() == b"40"
    threads = [thread for thread, _connection in served]
    connections = [connection for _thread, connection in served]
    assert len(set(threads)) == 5
    assert all(connection is connections[0] for connection in connections)


def test_a_transaction_that_read_before_another_write_still_writes(demo):
    """Two connections of one process, as the worker's threads: the first reads in its
    transaction, the second writes meanwhile, then the first writes. A deferred transaction
    gets «database is locked» at once there; one that begins IMMEDIATE makes the second wait
    until it commits, and both writes are kept."""
    with demo.app_context():
        hoa_id = Hoa.get(Hoa.prefixes == "10").id
    db.close()
    has_read, errors = threading.Event(), []

    def first():
        try:
            with demo.app_context(), db.atomic():
                name = Hoa.get_by_id(hoa_id).name
                has_read.set()
                time.sleep(0.5)  # the other thread tries its write now
                Hoa.update(name=name + " (1)").where(Hoa.id == hoa_id).execute()
        except Exception as error:  # noqa: BLE001 (the test reports it)
            errors.append(error)
        finally:
            has_read.set()
            db.close()

    def second():
        has_read.wait(10)
        try:
            with demo.app_context():
                Hoa.update(inn="7701000001").where(Hoa.id == hoa_id).execute()
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            db.close()
    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    with demo.app_context():
        hoa = Hoa.get_by_id(hoa_id)
        assert hoa.name.endswith(" (1)") and hoa.inn == "7701000001"

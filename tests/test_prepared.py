"""Queries prepared once (speedups.Prepared) give what the plain queries give, value after value."""
import logging
from datetime import date

from models import Account, Hoa, Notice, Resident


def make_residents(count=3):
    residents = []
    for i, number in enumerate(["100001", "100002", "100003"][:count]):
        residents.append(Resident.create(account=Account.by_number(number),
                                         email=f"r{i}@example.ru", password_hash="x"))
    return residents


def test_the_resident_of_each_session_comes_with_account_and_hoa(demo):
    with demo.app_context():
        residents = make_residents()
        for resident in residents + residents[::-1]:
            found = Resident.for_session(resident.id)
            assert found.id == resident.id
            assert found.email == resident.email
            assert found.account.number == resident.account.number
            assert found.account.hoa.name == "ТСЖ «Рассвет»"
        assert Resident.for_session(999999) is None


def test_the_account_and_hoa_need_no_further_query(demo, caplog):
    with demo.app_context():
        resident = make_residents(1)[0]
        found = Resident.for_session(resident.id)
        with caplog.at_level(logging.DEBUG, logger="peewee"):
            assert found.account.hoa.prefixes == "10"
            assert found.account.number == "100001"
        assert [r for r in caplog.records if r.name == "peewee"] == []
        with caplog.at_level(logging.DEBUG, logger="peewee"):
            Resident.get_by_id(resident.id).account.hoa  # the plain way does query: the check works
        assert [r for r in caplog.records if r.name == "peewee"] != []


def test_notices_shown_are_the_current_ones_of_the_right_hoa(demo):
    with demo.app_context():
        rassvet = Hoa.get(Hoa.prefixes == "10")
        polet = Hoa.get(Hoa.prefixes == "20")
        Notice.create(hoa=rassvet, title="Вода", starts_on=date(2026, 3, 1),
                      ends_on=date(2026, 3, 10))
        Notice.create(hoa=rassvet, title="Лифт", starts_on=date(2026, 3, 5))
        Notice.create(hoa=polet, title="Собрание", starts_on=date(2026, 3, 2),
                      ends_on=date(2026, 3, 31))
        Notice.create(hoa=rassvet, title="Потом", starts_on=date(2026, 4, 1))

        def titles(hoa, day):
            return [n.title for n in Notice.showing(hoa, day)]
        assert titles(rassvet, date(2026, 3, 7)) == ["Лифт", "Вода"]
        assert titles(rassvet, date(2026, 3, 20)) == ["Лифт"]
        assert titles(polet.id, date(2026, 3, 20)) == ["Собрание"]
        assert titles(None, date(2026, 3, 7)) == ["Лифт", "Собрание", "Вода"]
        assert titles(None, date(2026, 4, 2)) == ["Потом", "Лифт"]
        assert [n.hoa.name for n in Notice.showing(None, date(2026, 3, 7))] == \
            ["ТСЖ «Рассвет»", "ЖСК «Полёт»", "ТСЖ «Рассвет»"]


def test_all_hoas_notices_are_at_most_twenty_and_the_landing_page_lists_none(demo, client):
    with demo.app_context():
        hoa = Hoa.get(Hoa.prefixes == "10")
        Notice.delete().execute()  # the demo's own notices
        for i in range(25):
            Notice.create(hoa=hoa, title=f"Объявление №{i:02d}", starts_on=date(2026, 1, 1))
        latest = [n.title for n in Notice.showing(None, date(2026, 3, 1))]
    assert len(latest) == 20
    assert "Объявление №24" in latest and "Объявление №04" not in latest
    # the landing page is public: an HOA's notices are for its residents
    assert "Объявление №" not in client.get("/").get_data(as_text=True)


def test_the_average_reads_back_past_a_replacement_as_the_whole_history_would(demo):
    """monthly_average() reads the latest months only; it must equal the average over the
    whole history, also when a replacement leaves months without a consumption."""
    from factories_meters import add_reading, clear_meters, make_meter
    from meter_models import Reading
    from periods import add_months
    from readings import AVERAGE_MONTHS, history, monthly_average
    with demo.app_context():
        clear_meters()
        meter = make_meter(kind="cold_water", commissioned_on=date(2024, 12, 1))
        first = date(2025, 1, 1)
        values = [10 * (i + 1) for i in range(20)]
        values[15] = 3  # replaced in the 16th month: that month and none after are negative
        for i, value in enumerate(values):
            add_reading(meter, add_months(first, i), value + 1)
            add_reading(meter, add_months(first, i), value)  # the month's later submission counts
        add_reading(meter, add_months(first, 10), 999, status="declined")
        counted = Reading.counting(meter)
        assert [r.t1 for r in counted] == values

        def whole_history_average(before):
            steps = [(used, gap) for reading, used, gap in history(meter)
                     if reading.period < before and used is not None and gap > 0]
            steps = steps[-AVERAGE_MONTHS:]
            if not steps:
                return None
            return sum(used[0] for used, _ in steps) / sum(gap for _, gap in steps)

        for months in range(0, 22):
            before = add_months(first, months)
            average = monthly_average(meter, before)
            expected = whole_history_average(before)
            assert (average and average[0]) == expected, before

"""A poll's results: each option's accounts, m² and share, worked out in Decimal, and the
results file the office downloads."""
import csv
import io
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from formats import format_number, format_time
from models import Account
from polls.models import PollAnswer
from texts import safe_cell

ZERO, HUNDRED, TENTH, CENT = Decimal("0.00"), Decimal("100"), Decimal("0.1"), Decimal("0.01")
BAR_WIDTH = 100  # the bars' viewBox: a share in % is a bar's width as it is


def percent(part, whole):
    """part / whole in %, to one place, half up; 0 when nothing is counted."""
    if not whole:
        return ZERO.quantize(TENTH)
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass
class OptionResult:
    option: object
    accounts: int
    area: Decimal
    weight: Decimal  # what counts: accounts or m², as the poll says
    share: Decimal  # % of all that counts


@dataclass
class Results:
    poll: object
    options: list
    accounts: int  # accounts that answered
    area: Decimal  # their m²
    weight: Decimal
    hoa_accounts: int
    hoa_area: Decimal
    turnout: Decimal  # % of the HOA's accounts (or m²) that answered

    @property
    def by_area(self):
        return self.poll.weighting == "area"


def count(poll):
    """Every option of the poll with what its answers weigh; the area of each answer is the
    one kept when it was given."""
    options = poll.ordered_options()
    tally = {option.id: [0, ZERO] for option in options}
    for option_id, area in (PollAnswer.select(PollAnswer.option, PollAnswer.area)
                            .where(PollAnswer.poll == poll).tuples()):
        tally[option_id][0] += 1
        tally[option_id][1] += area.quantize(CENT)  # SQLite hands 0.1 back for 0.10
    by_area = poll.weighting == "area"
    weights = {oid: (area if by_area else Decimal(n)) for oid, (n, area) in tally.items()}
    total = sum(weights.values(), ZERO)
    answered = sum(n for n, _area in tally.values())
    answered_area = sum((area for _n, area in tally.values()), ZERO)
    hoa_areas = [area.quantize(CENT) for (area,) in Account.select(Account.area)
                 .where(Account.hoa == poll.hoa_id).tuples()]
    hoa_area = sum(hoa_areas, ZERO)
    return Results(
        poll=poll,
        options=[OptionResult(o, tally[o.id][0], tally[o.id][1], weights[o.id],
                              percent(weights[o.id], total)) for o in options],
        accounts=answered, area=answered_area, weight=total,
        hoa_accounts=len(hoa_areas), hoa_area=hoa_area,
        turnout=percent(answered_area, hoa_area) if by_area else percent(answered,
                                                                          len(hoa_areas)))


def answers_of(poll):
    """(account number, apartment, option text, m², answered at) of every answer, by number."""
    return (PollAnswer.select(Account.number, Account.apartment, PollAnswer.option,
                              PollAnswer.area, PollAnswer.answered_at)
            .join(Account).where(PollAnswer.poll == poll).order_by(Account.number).tuples())


def results_csv(results):
    """The results by option, then every account's answer: semicolons, decimal commas and a
    BOM, as Russian Excel opens it; the words are Russian whatever the page's language."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    area = lambda value: format_number(value, 2, trim=False)  # noqa: E731
    writer.writerow(["Вопрос", safe_cell(results.poll.question)])
    writer.writerow(["Подсчёт", "по площади, м²" if results.by_area else "по лицевым счетам"])
    writer.writerow([])
    writer.writerow(["Вариант", "Лицевых счетов", "Площадь, м²", "Доля, %"])
    for row in results.options:
        writer.writerow([safe_cell(row.option.text), row.accounts, area(row.area),
                         format_number(row.share, 1, trim=False)])
    writer.writerow(["Всего", results.accounts, area(results.area), ""])
    writer.writerow([])
    writer.writerow(["Лицевой счёт", "Квартира", "Ответ", "Площадь, м²", "Дата ответа"])
    texts = {row.option.id: row.option.text for row in results.options}
    for number, apartment, option_id, answer_area, at in answers_of(results.poll):
        writer.writerow([safe_cell(number), safe_cell(apartment), safe_cell(texts[option_id]),
                         area(answer_area), format_time(at, results.poll.hoa.time_zone)])
    return io.BytesIO(("\ufeff" + text.getvalue()).encode("utf-8"))

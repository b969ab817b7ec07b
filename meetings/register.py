"""The register of owners of a meeting: built from the accounts, edited premises by premises,
or imported from a CSV/XLSX file read by the same rules as the billing imports."""
import re
from decimal import Decimal

from flask_babel import gettext as _
from peewee import fn

from importcolumns import Bad, area as parse_area, header_key, parse_cell, shown, text_of
from importfiles import FileProblem, Problem, read_table
from meetings.counting import ShareProblem, check_premises, parse_share, weights
from meetings.models import PaperBallot, RegisterEntry, Vote
from models import Account, db

NUMBERS = re.compile(r"\d+")
YES = {"да", "yes", "1", "+", "y", "д", "true", "x", "х"}
NO = {"нет", "no", "0", "-", "n", "н", "false", ""}


def premises_of(account):
    """'г. Самара, ул. Солнечная, д. 12, кв. 7': the account's address with its flat."""
    return f"{account.address}, кв. {account.apartment}" if account.apartment \
        else account.address


def sort_key(premises):
    """Address order: numbers compare as numbers (кв. 9 before кв. 10)."""
    return NUMBERS.sub(lambda m: m.group().zfill(8), premises.lower())[:255]


def has_votes(meeting):
    entries = RegisterEntry.select(RegisterEntry.id).where(RegisterEntry.meeting == meeting)
    return (Vote.select().where(Vote.entry.in_(entries)).exists()
            or PaperBallot.select().where(PaperBallot.entry.in_(entries)).exists())


def total_votes(meeting):
    return (RegisterEntry.select(fn.SUM(RegisterEntry.votes))
            .where(RegisterEntry.meeting == meeting).scalar() or Decimal("0.00"))


def replace(meeting, premises_list):
    """The register made anew from [(premises, area, non-residential, account or None,
    [(owner, share, member)])], numbered in address order. Caller checks for votes."""
    with db.atomic():
        RegisterEntry.delete().where(RegisterEntry.meeting == meeting).execute()
        rows, number = [], 0
        for premises, area, non_residential, account, owners in sorted(
                premises_list, key=lambda p: sort_key(p[0])):
            check_premises([share for _o, share, _m in owners])
            for (owner, share, member), votes in zip(owners,
                                                     weights(area, [s for _o, s, _m in owners])):
                number += 1
                rows.append(dict(
                    meeting=meeting.id, account=account, owner=owner, premises=premises,
                    sort_key=sort_key(premises), area=area, share_numerator=share.numerator,
                    share_denominator=share.denominator, votes=votes,
                    non_residential=non_residential, member=member, ballot_number=number))
        for start in range(0, len(rows), 500):
            RegisterEntry.insert_many(rows[start:start + 500]).execute()
    return len(rows)


def from_accounts(meeting):
    """One owner per account of the HOA with an area, the whole of its premises."""
    accounts = (Account.select().where(Account.hoa == meeting.hoa, Account.area > 0)
                .order_by(Account.number))
    return replace(meeting, [(premises_of(a), a.area, False, a.id, [(a.owner or "—", parse_share(1),
                                                                     True)])
                             for a in accounts])


def save_premises(meeting, entries, premises, area, non_residential, account, owners):
    """Write one premises' owners: `entries` are its rows now (updated or deleted in order),
    `owners` [(owner, share, member)] what they become. ShareProblem leaves all as it was."""
    check_premises([share for _o, share, _m in owners])
    votes = weights(area, [share for _o, share, _m in owners])
    with db.atomic():
        next_number = (RegisterEntry.select(fn.MAX(RegisterEntry.ballot_number))
                       .where(RegisterEntry.meeting == meeting).scalar() or 0)
        for i, ((owner, share, member), weight) in enumerate(zip(owners, votes)):
            entry = entries[i] if i < len(entries) else None
            if entry is None:
                next_number += 1
                entry = RegisterEntry(meeting=meeting, ballot_number=next_number)
            entry.owner, entry.premises, entry.sort_key = owner, premises, sort_key(premises)
            entry.area, entry.votes, entry.member = area, weight, member
            entry.share_numerator, entry.share_denominator = share.numerator, share.denominator
            entry.non_residential, entry.account = non_residential, account
            entry.save()
        for entry in entries[len(owners):]:
            entry.delete_instance()


def premises_entries(meeting, premises):
    return list(RegisterEntry.select().where(RegisterEntry.meeting == meeting,
                                             RegisterEntry.premises == premises)
                .order_by(RegisterEntry.id))


# --- import -----------------------------------------------------------------------------------

def yes_no(value):
    key = header_key(value)
    if key in YES:
        return True
    if key in NO:
        return False
    raise Bad(_("«%(value)s» is neither «да» nor «нет».", value=shown(value)))


def share(value):
    try:
        return parse_share(value if isinstance(value, str) else repr(value))
    except ValueError:
        raise Bad(_("«%(value)s» is not a share: write it as 1/2 or 0,5.", value=shown(value)))


COLUMNS = [  # field, parser, aliases, required
    ("owner", text_of(255), "Собственник|фио|фио собственника|владелец|owner", True),
    ("premises", text_of(255), "Помещение|адрес|адрес помещения|квартира|premises", True),
    ("area", parse_area, "Площадь|площадь помещения|общая площадь|площадь м2|area", True),
    ("share", share, "Доля|доля в праве|share", False),
    ("non_residential", yes_no, "Нежилое|нежилое помещение|non residential", False),
    ("member", yes_no, "Член ТСЖ|член товарищества|член|member", False),
    ("account", text_of(20), "Лицевой счёт|лицевой счет|л с|account", False),
]
ALIASES = {header_key(alias): column for column in COLUMNS for alias in column[2].split("|")}


def read_register(name, data, hoa):
    """([premises as replace() takes them], [Problem]) from an uploaded register file."""
    problems = []
    try:
        table = read_table(name, data)
    except FileProblem as e:
        return [], [Problem(name, None, "", str(e))]
    header_at = next((i for i, (_n, cells) in enumerate(table[:10])
                      if sum(header_key(c) in ALIASES for c in cells) >= 3), None)
    if header_at is None:
        return [], [Problem(name, None, "", _("The file has no header row with the columns "
                                              "«Собственник», «Помещение» and «Площадь»."))]
    mapping = {ALIASES[header_key(c)][0]: (i, ALIASES[header_key(c)])
               for i, c in enumerate(table[header_at][1]) if header_key(c) in ALIASES}
    missing = [c[2].split("|")[0] for c in COLUMNS if c[3] and c[0] not in mapping]
    if missing:
        return [], [Problem(name, table[header_at][0], "", _(
            "The required column «%(column)s» is missing.", column=missing[0]))]
    accounts = {a.number: a.id for a in Account.select(Account.id, Account.number)
                .where(Account.hoa == hoa)}
    grouped = {}
    for number, cells in table[header_at + 1:]:
        row = {}
        for field, (index, (_f, parse, aliases, required)) in mapping.items():
            cell = cells[index] if index < len(cells) else None
            value = parse_cell(parse, cell)
            title = aliases.split("|")[0]
            if isinstance(value, Bad):
                problems.append(Problem(name, number, title, str(value)))
            elif value is None and required:
                problems.append(Problem(name, number, title, _("The value is required.")))
            row[field] = value
        if len(problems) > 50:
            break
        if any(isinstance(v, Bad) for v in row.values()):
            continue
        account = row.get("account") or None
        if account and account not in accounts:
            problems.append(Problem(name, number, "Лицевой счёт", _(
                "Account %(number)s is not one of this HOA's.", number=account)))
            continue
        key = row["premises"]
        if key in grouped and grouped[key][1] != row["area"]:
            problems.append(Problem(name, number, "Площадь", _(
                "The premises «%(premises)s» has another area in an earlier row.",
                premises=key)))
            continue
        group = grouped.setdefault(key, [key, row["area"], bool(row.get("non_residential")),
                                         accounts.get(account), [], number])
        group[4].append((row["owner"], row.get("share") or parse_share(1),
                         True if row.get("member") is None else row["member"]))
    for premises, area, _n, _a, owners, number in grouped.values():
        try:
            check_premises([s for _o, s, _m in owners])
        except ShareProblem as e:
            problems.append(Problem(name, number, "Доля", share_message(premises, e.args[0])))
    if not grouped and not problems:
        problems.append(Problem(name, None, "", _("The file has a header row but no data rows.")))
    return [tuple(g[:5]) for g in grouped.values()], problems


def share_message(premises, total):
    return _("The shares of «%(premises)s» add up to %(total)s, not to the whole premises (1).",
             premises=premises, total=str(total))

"""The demo's sample requests: what the office of «Рассвет» finds on its requests page."""
from datetime import datetime, timedelta

from models import Account, Accountant
from tickets.models import Ticket, TicketEvent

SAMPLES = [
    # account, category, text, urgent, status, days ago, reply
    ("100003", "сантехника", "Капает с потолка в ванной, похоже, течёт у соседей сверху.",
     True, "in_progress", 1, "Сантехник придёт сегодня до 18:00, будьте дома."),
    ("100007", "лифт", "Во втором подъезде лифт останавливается между 5 и 6 этажами.",
     False, "new", 2, ""),
    ("100012", "уборка и территория", "Во дворе не вывезли мусор с контейнерной площадки.",
     False, "done", 9, "Мусор вывезли, с перевозчиком договорились о графике."),
    ("100020", "домофон", "Домофон не открывает дверь ключом.", False, "new", 12, ""),
]


def load(hoa, today):
    """A few requests in several statuses, with the office's replies; no resident owns them,
    so they show in the office only."""
    accountant = Accountant.select().first()
    for number, category, text, urgent, status, days_ago, reply in SAMPLES:
        account = Account.get(Account.number == number)
        filed = datetime.combine(today - timedelta(days=days_ago), datetime.min.time()) \
            + timedelta(hours=9)
        ticket = Ticket(hoa=hoa, account=account, category=category, text=text, urgent=urgent,
                        status=status, contact_name=account.owner, created_at=filed,
                        updated_at=filed, deadline=filed.date() + timedelta(1 if urgent else 7),
                        done_at=filed + timedelta(days=2) if status == "done" else None)
        ticket.search = ticket.search_text()
        ticket.save()
        if status != "new":
            TicketEvent.create(ticket=ticket, kind="status", status="in_progress",
                               accountant=accountant, at=filed + timedelta(hours=1))
        if reply:
            TicketEvent.create(ticket=ticket, kind="reply", text=reply, accountant=accountant,
                               at=filed + timedelta(hours=2))
        if status == "done":
            TicketEvent.create(ticket=ticket, kind="status", status="done",
                               accountant=accountant, at=ticket.done_at)

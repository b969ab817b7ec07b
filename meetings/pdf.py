"""The meeting's papers (fpdf2): the personal ballots of the whole register in one file, and
the protocol laid out after the Requirements of приказ Минстроя № 44/пр of 28.01.2019 with
its annexes. Printed in Russian: they are Russian legal documents. Drawn in the render
process (forked.run("meetings.pdf.…")), as receipts are, so that a web worker never loads
fpdf2; render_ballots() and render_protocol() are what it calls."""
import logging

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from formats import format_number
from meetings.models import Meeting, RegisterEntry
from meetings.results import count_meeting
from receipts import FONT, FONT_DIR

logging.getLogger("fontTools").setLevel(logging.WARNING)

KIND_TITLES = {
    "owners": "общего собрания собственников помещений в многоквартирном доме",
    "members": "общего собрания членов товарищества собственников жилья",
}
KIND_NAMES = {
    "owners": "общее собрание собственников помещений в многоквартирном доме",
    "members": "общее собрание членов товарищества собственников жилья",
}
FORM_NOMINATIVE = {"mixed": "очно-заочное голосование", "absentee": "заочное голосование"}
FORM_NAMES = {"mixed": "очно-заочного голосования", "absentee": "заочного голосования"}
MAJORITY_NAMES = {
    "voted_half": "более половины голосов принявших участие в собрании",
    "all_half": "более половины голосов от общего числа голосов",
    "all_two_thirds": "не менее двух третей голосов от общего числа голосов",
}
VOTERS = {"owners": "собственников помещений", "members": "членов товарищества"}
DECISION_WORDS = {"for": "за", "against": "против", "abstain": "воздержался", "": "—"}


def votes(value):
    return format_number(value, 2, trim=False)


def day(value):
    return value.strftime("%d.%m.%Y") if value else "—"


class MeetingPdf(FPDF):
    WIDTH = 190

    def __init__(self, title):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_margins(10, 10, 10)
        self.set_auto_page_break(True, margin=12)
        self.add_font(FONT, "", FONT_DIR / "PT_Sans-Web-Regular.ttf")
        self.add_font(FONT, "B", FONT_DIR / "PT_Sans-Web-Bold.ttf")
        self.set_title(title)
        self.set_creator("Domkom")
        self._lines = {}

    def wrapped(self, text, width):
        """The lines `text` breaks into at this width in the current font. Every ballot
        repeats the same headings, questions and notes, and breaking them was four fifths of
        the time: a document breaks each text once (300 ballots took 20 s, then 4 s)."""
        key = (self.font_style, self.font_size_pt, width, text)
        lines = self._lines.get(key)
        if lines is None:
            lines = self._lines[key] = self.multi_cell(width, 5, text, dry_run=True,
                                                       output="LINES") or [""]
        return lines

    def para(self, value, size=10, style="", align="L", height=5, width=0):
        self.set_font(FONT, style, size)
        width = width or self.WIDTH
        for line in self.wrapped(str(value), width):
            self.cell(width, height, line, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def row(self, cells, widths, style="", size=9, height=5):
        """One table row; a row that would not fit starts a new page."""
        self.set_font(FONT, style, size)
        texts = [self.wrapped(str(c), w) for c, w in zip(cells, widths)]
        lines = max(len(t) for t in texts)
        if self.get_y() + lines * height > self.h - self.b_margin:
            self.add_page()
        top, x = self.get_y(), self.l_margin
        for text, width in zip(texts, widths):
            for i, line in enumerate(text):
                self.set_xy(x, top + i * height)
                self.cell(width, height, line)
            self.rect(x, top, width, lines * height)
            x += width
        self.set_xy(self.l_margin, top + lines * height)
        return top, lines * height


def meeting_line(meeting):
    return (f"{KIND_TITLES[meeting.kind]}, расположенном по адресу: {meeting.hoa.address}, "
            f"проводимого в форме {FORM_NAMES[meeting.form]}"
            if meeting.kind == "owners" else
            f"{KIND_TITLES[meeting.kind]} {meeting.hoa.name}, проводимого в форме "
            f"{FORM_NAMES[meeting.form]}")


def render_ballots(meeting_id, entry_ids=None):
    """The ballots of the meeting's whole register, or of these entries, in address order."""
    meeting = Meeting.get_by_id(meeting_id)
    entries = meeting.ordered_entries()
    if entry_ids is not None:
        entries = entries.where(RegisterEntry.id.in_(entry_ids))
    return ballots(meeting, list(entries))


def render_protocol(meeting_id, made_on):
    meeting = Meeting.get_by_id(meeting_id)
    return protocol(meeting, count_meeting(meeting), made_on)


# --- ballots ------------------------------------------------------------------------------

def ballots(meeting, entries):
    """One personal ballot per register entry, each on its own pages, in the order given."""
    pdf = MeetingPdf("Бюллетени")
    questions = list(meeting.ordered_questions())
    for entry in entries:
        add_ballot(pdf, meeting, entry, questions)
    if not entries:
        pdf.add_page()
        pdf.para("Реестр собственников пуст.")
    return bytes(pdf.output())


def add_ballot(pdf, meeting, entry, questions):
    pdf.add_page()
    pdf.para(f"РЕШЕНИЕ СОБСТВЕННИКА (БЮЛЛЕТЕНЬ № {entry.ballot_number})", 12, "B", "C", 6)
    pdf.para(f"по вопросам повестки дня {meeting_line(meeting)}", 10, "", "C")
    pdf.para(f"Голосование с {day(meeting.starts_on)} по {day(meeting.ends_on)}. "
             f"Инициатор: {meeting.initiator}.", 9, "", "C")
    pdf.ln(2)
    for label, value in (("Собственник", entry.owner), ("Помещение", entry.premises +
                                                          (" (нежилое)" if entry.non_residential
                                                           else "")),
                         ("Площадь помещения", f"{votes(entry.area)} м²"),
                         ("Доля в праве", entry.share_text),
                         ("Количество голосов", f"{votes(entry.votes)} (м²)")):
        pdf.row([label, value], [55, 135], size=10, height=6)
    pdf.ln(3)
    pdf.para("Отметьте один вариант по каждому вопросу (V или X). Бюллетень с несколькими "
             "отметками по вопросу по этому вопросу не учитывается (ст. 48 ч. 6 ЖК РФ).", 8)
    pdf.ln(1)
    pdf.row(["№", "Вопрос", "ЗА", "ПРОТИВ", "ВОЗДЕРЖАЛСЯ"], [8, 122, 18, 18, 24], "B")
    for question in questions:
        text = question.title + (f"\nПредложено: {question.proposal}" if question.proposal
                                 else "")
        top, height = pdf.row([question.position, text, "", "", ""], [8, 122, 18, 18, 24])
        for left, width in ((140, 18), (158, 18), (176, 24)):  # a box to mark in each
            pdf.rect(left + (width - 5) / 2, top + (height - 5) / 2, 5, 5)
    pdf.ln(6)
    pdf.para("Подпись собственника (представителя) ____________________ / "
             "____________________        Дата ______________", 10)
    pdf.ln(2)
    pdf.para(f"Заполненный бюллетень передайте в правление {meeting.hoa.name} до окончания "
             f"голосования {day(meeting.ends_on)}. Представитель прилагает доверенность.", 8)


# --- protocol -----------------------------------------------------------------------------

def protocol(meeting, result, made_on):
    """The protocol with its three annexes: the register, the notice, the voters' decisions."""
    count = result.count
    pdf = MeetingPdf("Протокол общего собрания")
    pdf.add_page()
    pdf.para(f"ПРОТОКОЛ № {meeting.number or '___'}", 13, "B", "C", 7)
    pdf.para(meeting_line(meeting), 11, "B", "C", 6)
    pdf.ln(2)
    pdf.para(f"{meeting.hoa.address or meeting.hoa.name}", 10, width=120)
    pdf.para(f"Дата составления протокола: {day(made_on)}", 10)
    pdf.ln(2)
    pdf.para("Вводная часть", 11, "B")
    place = (f"{meeting.in_person_at.strftime('%d.%m.%Y %H:%M') if meeting.in_person_at else ''}"
             f" {meeting.in_person_place}").strip()
    lines = [
        f"Вид собрания: {KIND_NAMES[meeting.kind]}; форма проведения: "
        f"{FORM_NOMINATIVE[meeting.form]}.",
        f"Инициатор общего собрания: {meeting.initiator}.",
        f"Дата и место проведения: голосование с {day(meeting.starts_on)} по "
        f"{day(meeting.ends_on)}" + (f"; очная часть — {place}" if place else "") + ".",
        f"Место приёма решений: {meeting.hoa.name}, {meeting.hoa.address}.",
        "Лица, принявшие участие в общем собрании: собственники согласно списку "
        "(приложение № 3).",
        f"Общее количество голосов {VOTERS[meeting.kind]}: {votes(count.total)} (м²), 100 %.",
        f"Количество голосов, принявших участие в собрании: {votes(count.turnout)} (м²), "
        f"{votes(count.turnout_percent)} % от общего числа голосов; "
        f"число участников: {len(count.voters)}.",
        "Кворум " + ("имеется: собрание правомочно" if count.quorum else
                     "отсутствует: собрание неправомочно принимать решения") +
        " (ст. 45 ч. 3 ЖК РФ).",
    ]
    for line in lines:
        pdf.para(line, 10)
    pdf.ln(2)
    pdf.para("Повестка дня", 11, "B")
    for question in result.questions:
        pdf.para(f"{question.position}. {question.title}", 10)
    pdf.ln(2)
    pdf.para("Основная часть", 11, "B")
    for question in result.questions:
        add_decision(pdf, question, result.result_of(question), count)
    pdf.ln(2)
    pdf.para(f"Место хранения протокола и решений собственников: "
             f"{meeting.storage_place or '____________________'}.", 10)
    pdf.ln(2)
    pdf.para("Приложения: 1) реестр собственников помещений; 2) сообщение о проведении общего "
             "собрания; 3) список лиц, принявших участие в голосовании, с их решениями.", 10)
    pdf.ln(6)
    for role in ("Председатель общего собрания", "Секретарь общего собрания",
                 "Члены счётной комиссии"):
        pdf.para(f"{role}: ____________________ / ____________________  дата ________", 10,
                 height=8)
    annex_register(pdf, result)
    annex_notice(pdf, meeting, result)
    annex_voters(pdf, result)
    return bytes(pdf.output())


def add_decision(pdf, question, outcome, count):
    base = count.turnout if question.majority == "voted_half" else count.total
    pdf.para(f"{question.position}. По {question.position}-му вопросу повестки дня: "
             f"{question.title}", 10, "B")
    pdf.para(f"СЛУШАЛИ: {question.speaker.rstrip('.') or '—'}.", 10)
    pdf.para(f"ПРЕДЛОЖЕНО: {question.proposal or question.title}", 10)
    pdf.para(f"Необходимое большинство: {MAJORITY_NAMES[question.majority]}.", 9)
    shares = ", ".join(
        f"«{DECISION_WORDS[key]}» — {votes(outcome.votes[key])} (м²), "
        f"{votes(outcome.share(key, count))} %" for key in ("for", "against", "abstain"))
    pdf.para(f"РЕЗУЛЬТАТЫ ГОЛОСОВАНИЯ: {shares}"
             + (f"; без действительного ответа — {votes(outcome.votes[''])} (м²)"
                if outcome.votes[""] else "")
             + f". Проценты — от {votes(base)} (м²).", 10)
    verdict = "РЕШЕНИЕ ПРИНЯТО" if outcome.passed else "РЕШЕНИЕ НЕ ПРИНЯТО"
    pdf.para(f"{verdict}: {question.proposal or question.title}", 10, "B")
    pdf.ln(2)


def annex_register(pdf, result):
    pdf.add_page()
    pdf.para("Приложение № 1. Реестр собственников помещений", 11, "B")
    widths = [12, 50, 68, 18, 14, 28]
    pdf.row(["№", "Собственник", "Помещение", "Площадь", "Доля", "Голосов"], widths, "B", 8)
    for entry in result.entries.values():
        pdf.row([entry.ballot_number, entry.owner, entry.premises, votes(entry.area),
                 entry.share_text, votes(entry.votes)], widths, size=8)
    total = sum((e.votes for e in result.entries.values()), type(result.count.total)("0.00"))
    pdf.row(["", "Итого", "", "", "", votes(total)], widths, "B", 8)


def annex_notice(pdf, meeting, result):
    pdf.add_page()
    pdf.para("Приложение № 2. Сообщение о проведении общего собрания", 11, "B")
    pdf.para(f"Сообщение размещено {day(meeting.notice_published_on)} в личном кабинете "
             f"жильцов и направлено зарегистрированным собственникам по электронной почте.", 10)
    pdf.para(f"Проводится {meeting_line(meeting)}. Инициатор: {meeting.initiator}. "
             f"Голосование с {day(meeting.starts_on)} по {day(meeting.ends_on)}.", 10)
    pdf.para("Повестка дня:", 10, "B")
    for question in result.questions:
        pdf.para(f"{question.position}. {question.title}", 10)


def annex_voters(pdf, result):
    pdf.add_page()
    pdf.para("Приложение № 3. Список лиц, принявших участие в голосовании, и их решения", 11,
             "B")
    numbers = [str(q.position) for q in result.questions]
    answer_width = max(8, min(14, 100 // max(len(numbers), 1)))
    widths = [12, 48, 50, 20] + [answer_width] * len(numbers)
    widths[2] = 190 - sum(widths) + widths[2]
    pdf.row(["№", "Собственник", "Помещение", "Голосов"] + numbers, widths, "B", 8)
    for entry_id in result.count.voters:
        entry, decided = result.entries[entry_id], result.counted[entry_id]
        pdf.row([entry.ballot_number, entry.owner, entry.premises, votes(entry.votes)] +
                [short(decided.get(q.id, "")) for q in result.questions], widths, size=8)
    pdf.row(["", "Итого", "", votes(result.count.turnout)] + [""] * len(numbers), widths, "B", 8)


def short(decision):
    return {"for": "за", "against": "прот.", "abstain": "возд.", "": "—"}[decision]

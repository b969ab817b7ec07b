"""The receipt PDF itself (fpdf2 and fontTools). Imported only when a PDF is made, so that a
worker serving ordinary pages never loads them; see receipts.py for the rest."""
import logging
import re
from functools import lru_cache, partial

from fpdf import FPDF

from formats import format_day, format_number, tariff_text
from ledger import pay_by_date
from receipts import (FONT, FONT_DIR, METER_KINDS_RU, ZONE_NAMES, BatchQr, balance_text, full_address,
                      money, period_name, qr_code, qr_payload)
from speedups_pdf import RememberedRows, RememberedTextEncoding

FONT_KEY = FONT.lower()  # fpdf's name of the family once set

# fontTools reports every glyph of the subset at INFO level; keep the log readable.
logging.getLogger("fontTools").setLevel(logging.WARNING)


class ReceiptPdf(RememberedRows, RememberedTextEncoding, FPDF):
    """An A4 document of receipts; fonts are set up once per document, not per receipt."""
    WIDTH = 190  # printable width in mm

    def __init__(self):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_margins(10, 10, 10)
        self.set_auto_page_break(True, margin=12)
        self.add_font(FONT, "", FONT_DIR / "PT_Sans-Web-Regular.ttf")
        self.add_font(FONT, "B", FONT_DIR / "PT_Sans-Web-Bold.ttf")
        self.set_title("Квитанция")
        self.set_creator("Domkom")
        self._widths = {}
        self._lines = {}

    def set_font(self, family=None, style="", size=0):
        """fpdf normalises its arguments before it sees that the font is set already, and a
        receipt asks ~340 times, mostly for the font it has: that case returns at once. Layout and
        output of 1,000 receipts: 3.5–5.0 ms a receipt against 4.6–5.8 ms with fpdf's own
        set_font() every time (five alternating runs, load average 2)."""
        if (family == FONT and style == self.font_style and size == self.font_size_pt
                and self.font_family == FONT_KEY and self.current_font is not None
                and not self.underline and not self.strikethrough):
            return
        super().set_font(family, style, size)

    def get_string_width(self, s, normalized=False, markdown=False):
        """fpdf measures a string glyph by glyph, and a receipt measures ~200 strings, most of
        them the same labels, headings and amounts as the last receipt's: a document remembers
        each width per font, style and size. Measuring was 18 % of a house's profile; remembered,
        a receipt took 5-15 % less CPU (150 receipts, alternating runs, a loaded machine)."""
        if normalized or markdown:
            return super().get_string_width(s, normalized, markdown)
        key = (self.font_family, self.font_style, self.font_size_pt, self.font_stretching,
               self.char_spacing, s)
        width = self._widths.get(key)
        if width is None:
            width = self._widths[key] = super().get_string_width(s)
        return width

    def width_of(self, style, size, text):
        """The width of `text` in the receipt's font at this style and size, remembered as
        get_string_width() does; the font is set only to measure a string not seen before (a
        row's label and value differ in style, and setting it twice per cell was 7 % of a
        house's CPU)."""
        width = self._widths.get((FONT_KEY, style, size, self.font_stretching,
                                  self.char_spacing, text))
        if width is None:
            self.set_font(FONT, style, size)
            width = self.get_string_width(text)
        return width

    def add_receipt(self, statement, meters, qr=None):
        """One account's receipt, starting on a new page."""
        self.add_page()
        account, hoa, period = statement.account, statement.account.hoa, statement.period
        self.line("ПЛАТЁЖНЫЙ ДОКУМЕНТ (ЕДИНЫЙ ПЛАТЁЖНЫЙ ДОКУМЕНТ) для внесения платы за жилое "
                  f"помещение и коммунальные услуги за {period_name(period)}",
                  size=12, style="B", align="C", line_height=6)
        self.ln(2)
        top = self.get_y()
        qr_side = 46 if qr is not None else 0
        left = self.WIDTH - qr_side - (4 if qr_side else 0)
        self.section("1. Сведения о плательщике и исполнителе услуг", left)
        self.pairs([
            ("Плательщик", account.owner or "—"),
            ("Лицевой счёт", account.number),
            ("Адрес", full_address(account)),
            ("Площадь", f"{format_number(account.area, 2)} м²"),
            ("Проживает", str(account.residents)),
        ] + ([("Код регистрации", account.registration_code)] if account.registration_code else [])
          + [("Исполнитель", hoa.name),
             ("Адрес исполнителя", hoa.address or "—"),
             ("ИНН / КПП", f"{hoa.inn or '—'} / {hoa.kpp or '—'}")], left)
        self.ln(1)
        self.section("2. Информация для внесения платы получателю платежа", left)
        self.pairs([
            ("Получатель", hoa.recipient or "—"),
            ("ИНН / КПП", f"{hoa.inn or '—'} / {hoa.kpp or '—'}"),
            ("Банк", hoa.bank_name or "—"),
            ("БИК", hoa.bic or "—"),
            ("Р/с", hoa.settlement_account or "—"),
            ("К/с", hoa.corr_account or "—"),
            ("Оплатить до", format_day(pay_by_date(hoa, period))),
        ], left)
        below_text = self.get_y()
        if qr is not None:
            self.draw_qr(qr, self.l_margin + self.WIDTH - qr_side, top, qr_side)
            self.set_y(top + qr_side)
            self.line("Оплата по QR-коду в приложении банка", width=qr_side, size=7, align="C",
                      line_height=3, x=self.l_margin + self.WIDTH - qr_side)
            below_text = max(below_text, self.get_y())
        self.set_y(below_text)
        self.ln(1)
        self.line(f"ИТОГО К ОПЛАТЕ за {period_name(period)}: {money(statement.total_due)}",
                  size=12, style="B", align="C", line_height=6, padding=0.6, border=True)
        self.ln(2)
        self.section("3. Расчёт размера платы за услуги", self.WIDTH)
        self.charges_table(statement)
        self.ln(2)
        self.section("4. Итоги расчёта", self.WIDTH)
        closing = statement.closing
        self.pairs([
            ("Задолженность (+) / аванс (−) на начало периода", balance_text(statement.opening)),
            ("Начислено за период", money(statement.charged)),
            ("Перерасчёты", money(statement.recalculations)),
            ("Льготы", money(statement.benefits)),
            ("Пени", money(statement.penalty)),
            ("Оплачено в периоде", money(statement.paid)),
            ("Остаток на конец периода", balance_text(closing)),
        ], self.WIDTH, label_width=95)
        self.line(f"ИТОГО К ОПЛАТЕ: {money(statement.total_due)}", size=11, style="B",
                  line_height=6)
        self.ln(2)
        self.meters_table(meters)
        self.ln(2)
        self.section("Контакты исполнителя", self.WIDTH)
        contacts = "; ".join(part for part in (hoa.address, hoa.phone and f"тел. {hoa.phone}",
                                                hoa.email, hoa.accountant_contact) if part)
        self.line(contacts or "—", line_height=4.5)

    def section(self, title, width):
        self.line(title, width=width, size=9.5, style="B", line_height=4.5, padding=0.5,
                  fill=True)

    def line(self, text, width=None, size=9, style="", align="L", line_height=4.0, padding=0,
             border=False, fill=False, x=None):
        """A paragraph in its own box, wrapped when it does not fit."""
        self.grid_row((width or self.WIDTH,), (align,), (text,), styles=(style,), size=size,
                      line_height=line_height, padding=padding, border=border, fill=fill, x=x)

    def pairs(self, rows, width, label_width=38):
        """Label and value lines; long values wrap within their own column."""
        for label, value in rows:
            self.grid_row((label_width, width - label_width), ("L", "L"), (label, value),
                          styles=("", "B"), size=9, line_height=4.5, padding=0, border=False)

    def grid_row(self, widths, aligns, cells, styles=None, size=8, line_height=4.0,
                 padding=0.8, border=True, fill=False, heading=None, x=None):
        """One row of a table drawn with `text()`: a cell wraps only when its text is wider than
        the cell, which is rare, so the costly line breaking of fpdf's tables is mostly skipped.
        The row's rectangles and texts go into the page in one write, and a row drawn at the
        same place in the same state before is written again from memory (speedups_pdf)."""
        styles = styles or ("",) * len(cells)
        state = self.row_state((widths, aligns, tuple(cells), styles, size, line_height,
                                padding, border, fill, x))
        y = self.get_y()
        height = self.replay_row(state)
        if height is not None:  # drawn here before, in the same state: the same bytes
            self.set_xy(self.l_margin, y + height)
            return
        start, plain = self.start_row(), False
        lines, measured = [], []
        for width, text, style in zip(widths, cells, styles):
            inner = width - 2 * padding
            text_width = self.width_of(style, size, text)
            if text_width <= inner:
                lines.append([text])
                measured.append([text_width])
            else:  # the same long heading on every receipt: broken into lines once
                key = (style, size, inner, line_height, text)
                if key not in self._lines:
                    self.set_font(FONT, style, size)
                    self._lines[key] = self.multi_cell(inner, line_height, text, dry_run=True,
                                                       output="LINES")
                lines.append(self._lines[key])
                measured.append([None] * len(self._lines[key]))
        height = max(len(cell) for cell in lines) * line_height + 2 * padding
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()
            if heading:  # the table goes on: repeat its heading row
                heading()
        x = self.l_margin if x is None else x
        y = self.get_y()
        ops = []
        if fill:
            self.set_fill_color(232, 236, 242)
            ops.append(self.rect_line(x, y, sum(widths), height, "f"))
        for width, align, cell, widths_of_lines, style in zip(widths, aligns, lines, measured,
                                                              styles):
            self.set_font(FONT, style, size)
            if border:
                ops.append(self.rect_line(x, y, width, height))
            baseline = (line_height + self.font_size * 0.7) / 2
            for n, (line, line_width) in enumerate(zip(cell, widths_of_lines)):
                if align == "L":
                    left = x + padding
                else:
                    spare = width - 2 * padding - (
                        self.get_string_width(line) if line_width is None else line_width)
                    left = x + padding + (spare if align == "R" else spare / 2)
                top = y + padding + n * line_height + baseline
                drawn = self.text_line(left, top, line)
                if drawn is None:  # a text fpdf2 draws itself, in its place among the rest
                    self.out_lines(ops)
                    ops, plain = [], True
                    self.text(left, top, line)
                else:
                    ops.append(drawn)
            x += width
        self.out_lines(ops)
        self.set_xy(self.l_margin, y + height)
        if not plain:
            self.remember_row(state, start, height, FONT)

    CHARGE_WIDTHS = (54, 14, 18, 18, 22, 22, 20, 22)
    CHARGE_ALIGNS = ("L", "C", "R", "R", "R", "R", "R", "R")

    def charges_table(self, statement):
        bold = ("B",) * len(self.CHARGE_WIDTHS)
        heading = partial(self.grid_row, self.CHARGE_WIDTHS, self.CHARGE_ALIGNS,
                          ("Вид услуги", "Ед. изм.", "Объём", "Тариф, ₽", "Начислено",
                           "Перерасчёт", "Льготы", "К оплате"), styles=bold, fill=True)
        heading()
        row = partial(self.grid_row, self.CHARGE_WIDTHS, self.CHARGE_ALIGNS, heading=heading)
        for charge in statement.charges:
            row((charge.service, charge.unit or "—", format_number(charge.volume),
                 tariff_text(charge.tariff), money(charge.amount), money(charge.recalculation),
                 money(charge.benefit), money(charge.to_pay)))
        if statement.penalty:
            row(("Пени", "—", "—", "—", money(statement.penalty), money(0), money(0),
                 money(statement.penalty)))
        row(("Всего", "", "", "", money(statement.charged + statement.penalty),
             money(statement.recalculations), money(statement.benefits),
             money(statement.charged_to_pay + statement.penalty)), styles=bold)

    METER_WIDTHS = (40, 32, 50, 42, 26)
    METER_ALIGNS = ("L", "L", "L", "R", "C")

    def meters_table(self, meters):
        self.section("5. Показания индивидуальных приборов учёта", self.WIDTH)
        if not meters:
            self.grid_row((self.WIDTH,), ("L",), ("Приборов учёта нет.",), border=False)
            return
        heading = partial(self.grid_row, self.METER_WIDTHS, self.METER_ALIGNS,
                          ("Прибор", "Заводской номер", "Место установки", "Последние показания",
                           "Поверка до"), styles=("B",) * 5, fill=True)
        heading()
        row = partial(self.grid_row, self.METER_WIDTHS, self.METER_ALIGNS, heading=heading)
        for meter, values, when in meters:
            names = ZONE_NAMES.get(meter.zones, ZONE_NAMES[1])
            shown = "; ".join(f"{name} {format_number(v)}".strip()
                              for name, v in zip(names, values) if v is not None)
            if when is None:
                shown += " (начальные)"
            row((f"{METER_KINDS_RU.get(meter.kind, meter.kind)}, {meter.unit}".strip(", "),
                 meter.serial or "—", meter.place or "—", shown,
                 format_day(meter.verified_until)
                 if meter.verified_until else "—"))

    def draw_qr(self, qr, x, y, side):
        """The QR code as one vector path: a rectangle per horizontal run of dark modules,
        written straight into the page (fpdf's rect() per run costs more than the code). The
        numbers of the grid are formatted once per place and size, not once per run: 0.4 instead
        of 2.5 ms a code (1,000 receipts, a loaded machine)."""
        self.set_fill_color(255, 255, 255)
        self.rect(x, y, side, side, style="F")
        lefts, bottoms, widths = qr_grid(x, y, side, len(qr.matrix), self.k, self.h)
        ops = ["0 g"]
        for bottom, row in zip(bottoms, qr.matrix):
            for run in DARK_RUNS(row):
                start, end = run.span()
                ops.append(f"{lefts[start]} {bottom} {widths[end - start]}")
        ops.append("f")
        self._out("q " + " ".join(ops) + " Q")


DARK_RUNS = re.compile(b"\x01+").finditer
QUIET = 4  # the QR code's quiet zone, in modules


@lru_cache(maxsize=64)
def qr_grid(x, y, side, size, k, top):
    """A QR code's module grid in the page's units, formatted as the PDF writes it: the left
    edge of each column, the bottom of each row and "width height re" of each run length."""
    module = side / (size + 2 * QUIET)
    lefts = [f"{(x + (c + QUIET) * module) * k:.2f}" for c in range(size + 1)]
    bottoms = [f"{(top - y - (r + QUIET + 1) * module) * k:.2f}" for r in range(size)]
    widths = [f"{length * module * k:.2f} {module * k:.2f} re" for length in range(size + 1)]
    return lefts, bottoms, widths


def render_receipt(statement, meters):
    """One account's receipt for one month as PDF bytes."""
    pdf = ReceiptPdf()
    payload = qr_payload(statement)
    pdf.add_receipt(statement, meters, qr_code(payload) if payload else None)
    return bytes(pdf.output())


def render_batch(items, progress=None):
    """Every (statement, meters) receipt in one PDF; `progress(n)` after each receipt."""
    pdf = ReceiptPdf()
    make = BatchQr()
    for statement, meters in items:
        payload = qr_payload(statement)
        pdf.add_receipt(statement, meters, make(payload) if payload else None)
        if progress:
            progress(1)
    return bytes(pdf.output())


def render_files(items, page_limit, progress=None):
    """Every (statement, meters) receipt, in order, in PDFs of at most `page_limit` pages each
    (a receipt is never cut between two files): [(pdf bytes, receipts, pages)]. A receipt that
    does not fit any more is known only once drawn, so that file is drawn again without it;
    receipts mostly take a page each, so that is rare."""
    files, batch, pdf, make = [], [], ReceiptPdf(), BatchQr()

    def add(document, item):
        statement, meters = item
        payload = qr_payload(statement)
        document.add_receipt(statement, meters, make(payload) if payload else None)

    for item in items:
        add(pdf, item)
        if pdf.page > page_limit and batch:
            again = ReceiptPdf()
            for earlier in batch:
                add(again, earlier)
            files.append((bytes(again.output()), len(batch), again.page))
            pdf, batch = ReceiptPdf(), []
            add(pdf, item)
        batch.append(item)
        if progress:
            progress(1)
    if batch:
        files.append((bytes(pdf.output()), len(batch), pdf.page))
    return files

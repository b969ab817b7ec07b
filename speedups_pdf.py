"""Speed-ups of drawing receipts that rely on segno's and fpdf2's private internals, each kept
for the figure it saves; the pages' own are in speedups.py, under the same rules.

Each names the internal it uses; tests/test_speedups.py checks that internal and that the fast
path gives exactly what the plain library call gives (the same QR modules, the same PDF bytes),
so a library upgrade that changes it fails there, loudly. Figures: bench/bench_house_slice.py,
receipts of bench/generate.py's 100,000-account house drawn in one process, CPU time. segno and
fpdf2 are imported only where a receipt is drawn (the render processes), never by a web worker.
"""
from functools import lru_cache
from operator import itemgetter

# --- segno: a house's QR codes with the mask already chosen ------------------------------------

BITS = bytes.maketrans(b"01", b"\x00\x01")


def qr_with_mask(payload, mask):
    """segno.make(payload, error="m", boost_error=False, micro=False, encoding="utf-8",
    mask=mask), the same code, ~20 times faster for a receipt's byte-mode payload.

    segno builds a code bit by bit in Python: 4.3 ms a receipt, a quarter of a house's CPU.
    With the version and mask known, a code is a fixed template (finder, timing and alignment
    patterns, format and version information, the mask over the data area) with the message's
    bits placed at fixed positions: the template and the positions are worked out once per
    version by segno's own functions; the message (segno's byte-mode bit stream, Reed–Solomon
    blocks, interleaving) is built here on whole integers. Payloads segno would not encode in
    byte mode go to segno itself.

    Relies on segno.encoder's make_matrix, add_finder_patterns, add_alignment_patterns,
    add_codewords, find_and_apply_best_mask, add_format_info, add_version_info, find_mode,
    version_range, Code and _Segment, and segno.consts' SYMBOL_CAPACITY, ECC, GEN_POLY,
    GALIOS_LOG/EXP and CHAR_COUNT_INDICATOR_LENGTH. Measured (bench/bench_house_slice.py,
    1,000 receipts of bench/generate.py's 100,000-account house): 0.2 ms against 4.3 ms a code.
    """
    import segno  # lazily, as receipts.make_qr: only pages with a QR code need it
    from segno import consts, encoder
    data = payload.encode("utf-8")
    if encoder.find_mode(data) != consts.MODE_BYTE:
        return segno.make(payload, error="m", boost_error=False, micro=False, encoding="utf-8",
                          mask=mask)
    error = consts.ERROR_LEVEL_M
    for version in range(1, 41):
        count_bits = consts.CHAR_COUNT_INDICATOR_LENGTH[consts.MODE_BYTE][
            encoder.version_range(version)]
        capacity = consts.SYMBOL_CAPACITY[version][error]
        if capacity >= 4 + count_bits + 8 * len(data):
            break
    else:
        raise encoder.DataOverflowError("Data too large. No QR Code can handle the provided data")
    template, gather, interleave, blocks, remainder = qr_layout(version, mask)
    # the bit stream as segno writes it: mode, count, data, terminator, padding, pad codewords
    length = 4 + count_bits + 8 * len(data)
    value = ((consts.MODE_BYTE << count_bits | len(data)) << 8 * len(data)) | \
        int.from_bytes(data, "big")
    terminator = min(capacity - length, 4)
    padding = 8 - (length + terminator) % 8
    value <<= terminator + padding
    length += terminator + padding
    codewords = value.to_bytes(length // 8, "big")
    codewords += (b"\xec\x11" * capacity)[:max(capacity // 8 - length // 8, 0)]
    errors, start = [], 0
    for size, table, top, keep in blocks:
        remainder_word = 0
        for byte in codewords[start:start + size]:
            remainder_word = ((remainder_word << 8) & keep) ^ table[byte ^ (remainder_word >> top)]
        errors.append(remainder_word.to_bytes(top // 8 + 1, "big"))
        start += size
    message = bytes(interleave(codewords)) + bytes(b for column in zip(*errors) for b in column)
    bits = format(int.from_bytes(message, "big"), f"0{8 * len(message)}b").encode().translate(BITS)
    placed = bytes(gather(bits + b"\0" * (remainder + 1)))
    width = 17 + 4 * version
    flat = (template ^ int.from_bytes(placed, "big")).to_bytes(width * width, "big")
    matrix = tuple(bytearray(flat[row:row + width]) for row in range(0, width * width, width))
    segment = encoder._Segment(bytearray(), len(data), consts.MODE_BYTE, "utf-8")
    return segno.QRCode(encoder.Code(matrix, version, error, mask, [segment]))


@lru_cache(maxsize=64)
def qr_layout(version, mask):
    """What every code of a version and mask shares: the template as one integer, the
    positions of the message's bits, the data codewords' interleaving and each block's
    (data codewords, Reed–Solomon table, shift, mask) and the remainder bits' count."""
    from segno import consts, encoder
    width, error = 17 + 4 * version, consts.ERROR_LEVEL_M
    matrix = encoder.make_matrix(width, width)
    encoder.add_finder_patterns(matrix, width, width)
    encoder.add_alignment_patterns(matrix, width, width)
    numbered = [list(row) for row in matrix]
    free = sum(row.count(0x2) for row in matrix)
    encoder.add_codewords(numbered, [3 + n for n in range(free)], version)
    gather = [free] * (width * width)
    for i, row in enumerate(numbered):
        for j, value in enumerate(row):
            if value >= 3 and matrix[i][j] == 0x2:
                gather[i * width + j] = value - 3
    for row in matrix:
        row[:] = row.replace(b"\x02", b"\x00")
    matrix = encoder.find_and_apply_best_mask(matrix, width, width, mask)[1]
    encoder.add_format_info(matrix, version, error, mask)
    encoder.add_version_info(matrix, version)
    template = int.from_bytes(b"".join(matrix), "big")
    blocks, order, start = [], [], 0
    for info in consts.ECC[version][error]:
        words = info.num_total - info.num_data
        table = rs_table(words)
        for _ in range(info.num_blocks):
            blocks.append((info.num_data, table, 8 * (words - 1), (1 << 8 * words) - 1))
            order.append(range(start, start + info.num_data))
            start += info.num_data
    interleave = [i for column in range(max(len(r) for r in order))
                  for r in order if column < len(r) for i in (r[column],)]
    remainder = free - 8 * sum(info.num_total * info.num_blocks
                               for info in consts.ECC[version][error])
    return template, itemgetter(*gather), itemgetter(*interleave), blocks, remainder


@lru_cache(maxsize=16)
def rs_table(words):
    """For each byte f, f times the generator polynomial of `words` error words, as segno's
    division adds it (one integer of `words` bytes)."""
    from segno import consts
    log, exp, gen = consts.GALIOS_LOG, consts.GALIOS_EXP, consts.GEN_POLY[words]
    return [0] + [int.from_bytes(bytes(exp[log[f] + g] for g in gen), "big") for f in range(1, 256)]


# --- fpdf2: text() of a document that draws the same strings again and again ---------------

class RememberedTextEncoding:
    """A mixin for an FPDF document: text() with each string's encoding remembered.

    fpdf2's text() encodes a string into the font's subset glyph by glyph on every call,
    behind two decorators; a receipt draws ~170 strings, most of them the labels, headings and
    amounts of the last one. The encoded string is kept per font and text: its glyphs were
    picked into the subset when it was first drawn, and a subset keeps its numbering for the
    document's life. Only plain filled text of an embedded font takes this path; the rest goes
    to fpdf2's own text().

    Relies on FPDF's current_font (type, fontkey, encode_text), current_font_is_set_on_page,
    _set_font_for_page, _out, text_mode, underline, strikethrough, _record_text_quad_points,
    fill_color, text_color, k, h and page, and on text() writing exactly what this writes.
    Measured (1,000 receipts of bench/generate.py's 100,000-account house, their
    layout and output, five alternating runs, load average 2): 3.5–5.0 ms a receipt against
    5.2–6.2 ms with fpdf2's own text().

    A table row's rectangles and texts are written at once (rect_line, text_line, out_lines:
    the bytes rect() and text() write, one _out() call for the row instead of one per cell and
    text), and a row's fonts are set only where its texts are drawn or measured for the first
    time (receipt_pdf.ReceiptPdf.width_of). Measured (bench/bench_house_slice.py, 500 receipts
    of bench/generate.py's 20,000-account house, six alternating runs on a 2-core machine):
    9.7–10.5 ms of CPU a receipt against 12.0–12.6 ms, the page streams' digest unchanged.
    """

    def text(self, x, y, text=""):
        line = self.text_line(x, y, text)
        if line is None:
            return super().text(x, y, text)
        self._out(line)
        return None

    def text_line(self, x, y, text):
        """What text(x, y, text) writes into the page, for drawing it with out_lines(); None
        when the text needs fpdf2's own text()."""
        font = self.current_font
        if (not self.page or font is None or font.type != "TTF" or self.text_mode != 0
                or self.underline or self.strikethrough or self._record_text_quad_points):
            return None
        known = self.__dict__.setdefault("_encoded_texts", {})
        encoded = known.get((font.fontkey, text))
        if encoded is None:
            encoded = known[font.fontkey, text] = font.encode_text(text)
        line = f"BT {x * self.k:.2f} {(self.h - y) * self.k:.2f} Td {encoded} ET"
        if self.fill_color != self.text_color:
            colors = self.__dict__.setdefault("_text_colors", {})
            color = colors.get(self.text_color)
            if color is None:
                color = colors[self.text_color] = self.text_color.serialize().lower()
            line = f"q {color} {line} Q"
        if not self.current_font_is_set_on_page:
            line = self._set_font_for_page(font, self.font_size_pt) + "\n" + line
            self.__dict__.setdefault("_fonts_set", []).append(font.i)
        return line

    def rect_line(self, x, y, w, h, operator="S"):
        """What rect(x, y, w, h) writes: "S" draws the border (style "D"), "f" fills ("F")."""
        k = self.k
        return f"{x * k:.2f} {(self.h - y) * k:.2f} {w * k:.2f} {-h * k:.2f} re {operator}"

    def out_lines(self, lines):
        """The lines into the page at once: the bytes of one _out() per line, for a fraction of
        the calls (a receipt's table row is 5–20 of them)."""
        if lines:
            self._out("\n".join(lines))


class RememberedRows:
    """A mixin for an FPDF document: a table row drawn again at the same place, in the same
    state, is written from the bytes it wrote the first time.

    A house's receipts repeat most of their rows exactly: the headings, the labels and the
    HOA's requisites sit at the same height on every receipt; of a document of 1,000 receipts
    of bench/generate.py's house, 84 % of the rows are ones an earlier receipt drew.
    A row is remembered by its arguments, its height on the page and everything of the
    document's state its bytes depend on (fill and text colour, font and whether the page has
    it set); replaying writes the bytes, registers the fonts the row set on the page as
    resources, and leaves the state as drawing would. Only rows that stayed on their page and
    were drawn by text_line() are remembered.

    Relies on FPDF's pages[n].contents, _out, _resource_catalog.add(PDFResourceType.FONT, …),
    current_font_is_set_on_page, fill_color, font_family, font_style, font_size_pt and y; the
    tests compare whole documents drawn with and without it, byte for byte. Measured (300
    receipts of bench/generate.py's 100,000-account house drawn six times each way, in turns
    in one process, layout and output without the data): 9.5 ms of CPU a receipt against
    11.9 ms with every row drawn anew, the files the same.
    """
    # a document's rows remembered at most, then it starts again (1,000 receipts keep ~8,000:
    # 9 MB, below what output() takes at its peak anyway); 0 draws every row anew
    ROWS_KEPT = 20000
    rows_replayed = 0

    def row_state(self, key):
        return (key, self.y, self.fill_color, self.text_color, self.font_family,
                self.font_style, self.font_size_pt, self.current_font_is_set_on_page)

    def replay_row(self, state):
        """Write the row remembered for `state`; its height, or None when there is none."""
        found = self.__dict__.setdefault("_rows", {}).get(state)
        if found is None:
            return None
        self.rows_replayed += 1
        written, height, fonts, (family, style, size, font_set, fill) = found
        if written:
            self._out(written[:-1])  # _out() ends it with the newline again
        if fonts:
            from fpdf.enums import PDFResourceType  # only here: fpdf2 stays out of web workers
            for font in fonts:
                self._resource_catalog.add(PDFResourceType.FONT, font, self.page)
        self.set_font(family, style, size)
        self.current_font_is_set_on_page = font_set
        if self.fill_color != fill:
            self.fill_color = fill
        return height

    def start_row(self):
        """Where the row about to be drawn starts: the page, its length, the fonts set so far."""
        return self.page, len(self.pages[self.page].contents), \
            len(self.__dict__.setdefault("_fonts_set", []))

    def remember_row(self, state, start, height, family):
        """Keep what the row drawn since start_row() wrote, if it stayed on its page."""
        page, length, fonts = start
        if self.page != page or not self.ROWS_KEPT:
            return
        rows = self.__dict__.setdefault("_rows", {})
        if len(rows) >= self.ROWS_KEPT:
            rows.clear()
        written = bytes(self.pages[page].contents[length:])
        rows[state] = (written, height, tuple(self._fonts_set[fonts:]),
                       (family, self.font_style, self.font_size_pt,
                        self.current_font_is_set_on_page, self.fill_color))

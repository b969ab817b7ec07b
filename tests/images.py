"""Pictures as phones and attackers send them: with GPS in EXIF, turned by a tag, bombs, fakes."""
import io
import struct
import zlib

from fpdf import FPDF
from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo_with_gps(size=(64, 48), color=(200, 40, 40), orientation=None):
    """JPEG bytes whose EXIF holds a GPS position (55°45′N 37°37′E) and a camera model."""
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x0110] = "Phone X"  # Model
    exif[0x010E] = "kitchen leak"  # ImageDescription
    if orientation:
        exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (55.0, 45.0, 0.0), 3: "E", 4: (37.0, 37.0, 0.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png(size=(20, 10), mode="RGBA"):
    out = io.BytesIO()
    Image.new(mode, size, (0, 128, 255, 128) if mode == "RGBA" else 0).save(out, "PNG")
    return out.getvalue()


def png_bomb(width=30000, height=30000):
    """A small PNG that claims width × height pixels (its header); decoded it would be huge."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    row = b"\x00" + b"\x00" * width
    body = zlib.compress(row * 16, 9)  # only the first rows: the file stays tiny
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body)
            + chunk(b"IEND", b""))


def minimal_pdf(text="Hello"):
    """A tiny but whole PDF with one page."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())

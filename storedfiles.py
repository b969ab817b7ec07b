"""Files people upload to be kept: photos on requests, the HOA's documents, meeting materials.

They hold personal data, so they are kept in the database (every app server of a scaled-out
deployment reaches them, and `flask backup` copies them with everything else), under random
names, never in the static folder. An upload is read with a bound, its real type is checked
by its content, never by its name, and images are drawn again with Pillow so that nothing
but the pixels survives: no EXIF (the phone's GPS position), no comments, no trailing bytes.
"""
import io
import secrets
import unicodedata
import warnings

from flask import abort, send_file
from flask_babel import lazy_gettext as _l
from peewee import BlobField, CharField, DateTimeField, IntegerField

from models import BaseModel, now

MAX_BYTES = 10 * 1024 * 1024  # one file
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is the most a phone takes; more is a bomb
LONGEST_SIDE = 2560  # photos are kept at most this wide or high: enough to see a leak
IMAGE_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}  # MPO: what some phones call their JPEGs
PDF = "application/pdf"
IMAGES_AND_PDF = ("image", "pdf")


class FileRefused(ValueError):
    """An upload that is not kept; str() is the message for the person who sent it."""


class StoredFile(BaseModel):
    """One kept file: its bytes, the type found in them and the name it was sent under."""
    token = CharField(unique=True)  # random: the name a link uses, never guessable
    name = CharField()  # shown and offered for saving; cleaned of paths and control characters
    content_type = CharField()
    size = IntegerField()
    data = BlobField()
    created_at = DateTimeField(default=now)

    @property
    def is_image(self):
        return self.content_type.startswith("image/")


def read_bounded(upload, limit=MAX_BYTES):
    """The bytes of a werkzeug FileStorage, refusing more than `limit` without reading it all."""
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise FileRefused(_l("The file «%(name)s» is larger than %(mb)s MB.",
                             name=clean_name(upload.filename), mb=limit // (1024 * 1024)))
    if not data:
        raise FileRefused(_l("The file «%(name)s» is empty.", name=clean_name(upload.filename)))
    return data


def clean_name(name, default="file"):
    """The last part of a sent file name, without control characters, at most 120 characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    return name[-120:] or default


def redraw_image(data):
    """(bytes, content type) of the image in `data` drawn again, or FileRefused.

    The pixel count is read from the header and checked before any pixel is decoded, so a
    small file claiming a huge picture costs nothing. The phone's orientation tag is applied
    to the pixels first, since the tag itself is dropped with the rest of the metadata.
    """
    # Pillow is imported by the first photo, not with the app: a web worker that never gets
    # one stays as small as before (tests/test_forked.py), and it is ~10 MB
    from PIL import Image, ImageOps, UnidentifiedImageError
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in IMAGE_FORMATS:
                raise FileRefused(_l("Only JPEG and PNG photos can be attached."))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise FileRefused(_l("The picture is too large to be a photo."))
            source_format = image.format
            image.load()
            image = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise FileRefused(_l("The picture is too large to be a photo."))
    except FileRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise FileRefused(_l("The picture cannot be read: the file is damaged or not a photo."))
    image.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    out = io.BytesIO()
    if source_format == "PNG":  # screenshots stay sharp; PNG keeps no metadata unless asked
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=True)
        return out.getvalue(), "image/png"
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue(), "image/jpeg"


def check_pdf(data):
    """FileRefused unless `data` looks like a whole PDF file: its header and its end mark."""
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
        raise FileRefused(_l("The file is not a PDF document or is damaged."))


def store(upload, kinds=IMAGES_AND_PDF, limit=MAX_BYTES):
    """A new StoredFile (not yet saved) from a werkzeug FileStorage, or FileRefused.

    `kinds` says what is accepted: "image" (JPEG/PNG, redrawn) and/or "pdf".
    """
    data = read_bounded(upload, limit)
    name = clean_name(upload.filename)
    if data.startswith(b"%PDF-"):
        if "pdf" not in kinds:
            raise FileRefused(_l("Only photos (JPEG or PNG) can be attached here."))
        check_pdf(data)
        content_type = PDF
        if not name.lower().endswith(".pdf"):
            name += ".pdf"
    elif "image" in kinds:
        data, content_type = redraw_image(data)
        stem = name.rsplit(".", 1)[0] if "." in name else name
        name = stem + (".png" if content_type == "image/png" else ".jpg")
    else:
        raise FileRefused(_l("Only PDF documents can be uploaded here."))
    return StoredFile(token=secrets.token_urlsafe(18), name=name, content_type=content_type,
                      size=len(data), data=data)


def get_or_404(token):
    stored = StoredFile.get_or_none(StoredFile.token == token)
    if stored is None:
        abort(404)
    return stored


def send(stored, inline=False):
    """The response that hands a kept file over: never cached, never sniffed into HTML.

    Photos and PDFs a resident sent open for the office only as a download unless `inline`;
    the HOA's own documents may open in the browser.
    """
    response = send_file(io.BytesIO(bytes(stored.data)), mimetype=stored.content_type,
                         as_attachment=not inline, download_name=stored.name,
                         max_age=0, conditional=False, etag=False)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

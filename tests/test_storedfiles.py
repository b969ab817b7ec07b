"""Kept uploads: real type by content, photos redrawn without metadata, bombs and fakes refused."""
import io

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

import storedfiles
from images import GPS_IFD, minimal_pdf, photo_with_gps, png, png_bomb
from storedfiles import FileRefused, StoredFile


def upload(data, name="photo.jpg"):
    return FileStorage(stream=io.BytesIO(data), filename=name)


def test_a_photo_loses_its_gps_position_and_every_other_tag(app):
    original = photo_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the phone's position
    with app.app_context():
        stored = storedfiles.store(upload(original))
        stored.save()
        kept = bytes(StoredFile.get(StoredFile.token == stored.token).data)
    image = Image.open(io.BytesIO(kept))
    assert image.format == "JPEG" and image.size == (64, 48)
    exif = image.getexif()
    assert not exif.get_ifd(GPS_IFD) and len(exif) == 0
    assert b"Phone X" not in kept and b"kitchen leak" not in kept
    assert stored.content_type == "image/jpeg" and stored.name == "photo.jpg"
    assert len(stored.token) >= 24


def test_the_orientation_tag_is_applied_to_the_pixels_before_it_is_dropped(app):
    turned = photo_with_gps(size=(60, 20), orientation=6)  # "rotate 90° clockwise to view"
    with app.app_context():
        stored = storedfiles.store(upload(turned))
    assert Image.open(io.BytesIO(stored.data)).size == (20, 60)


def test_a_png_stays_a_png_with_its_transparency(app):
    with app.app_context():
        stored = storedfiles.store(upload(png(), "screen.PNG"))
    image = Image.open(io.BytesIO(stored.data))
    assert (image.format, image.mode, stored.content_type) == ("PNG", "RGBA", "image/png")
    assert stored.name == "screen.png"


@pytest.mark.parametrize("width, height", [(30000, 30000), (7000, 7000)])
def test_a_decompression_bomb_is_refused_before_its_pixels_are_decoded(app, width, height):
    bomb = png_bomb(width, height)  # 900 and 49 million points: Pillow's own limit and ours
    assert len(bomb) < 5000
    with app.app_context(), pytest.raises(FileRefused) as refused:
        storedfiles.store(upload(bomb, "bomb.png"))
    assert "too large" in str(refused.value)


@pytest.mark.parametrize("data", [
    b"<html><script>alert(1)</script></html>",
    b"\xff\xd8\xff\xe0" + b"\x00" * 100,  # a JPEG's first bytes and nothing after
    b"GIF89a" + b"\x00" * 50,
])
def test_a_file_named_jpg_that_is_not_a_readable_photo_is_refused(app, data):
    with app.app_context(), pytest.raises(FileRefused):
        storedfiles.store(upload(data, "leak.jpg"))


def test_a_pdf_is_kept_as_it_came_and_a_broken_one_is_refused(app):
    pdf = minimal_pdf()
    with app.app_context():
        stored = storedfiles.store(upload(pdf, "акт.pdf"))
        assert bytes(stored.data) == pdf and stored.content_type == "application/pdf"
        assert stored.name == "акт.pdf"
        with pytest.raises(FileRefused):
            storedfiles.store(upload(pdf[: len(pdf) // 2], "half.pdf"))
        with pytest.raises(FileRefused):  # where only PDFs go, a photo is refused
            storedfiles.store(upload(photo_with_gps()), kinds=("pdf",))
        with pytest.raises(FileRefused):  # and where only photos go, a PDF
            storedfiles.store(upload(pdf, "a.pdf"), kinds=("image",))


def test_a_file_over_the_limit_is_refused_without_reading_it_whole(app):
    class Endless(io.RawIOBase):
        read_total = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            Endless.read_total += len(buffer)
            buffer[:] = b"%" * len(buffer)
            return len(buffer)

    with app.app_context(), pytest.raises(FileRefused) as refused:
        storedfiles.store(FileStorage(stream=io.BufferedReader(Endless()), filename="big.pdf"),
                          limit=1024 * 1024)
    assert "larger than 1 MB" in str(refused.value)
    assert Endless.read_total < 2 * 1024 * 1024
    with app.app_context(), pytest.raises(FileRefused):
        storedfiles.store(upload(b"", "empty.pdf"))


def test_names_lose_paths_and_control_characters():
    assert storedfiles.clean_name("C:\\Users\\me\\фото 1.jpg") == "фото 1.jpg"
    assert storedfiles.clean_name("../../etc/passwd\r\n") == "passwd"
    assert storedfiles.clean_name("\x00\x07") == "file"


def test_a_kept_file_is_handed_over_never_cached_nor_sniffed(app):
    with app.test_request_context():
        stored = storedfiles.store(upload(minimal_pdf(), "устав.pdf"))
        response = storedfiles.send(stored)
        assert response.headers["Cache-Control"] == "private, no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert "filename*=UTF-8''%D1%83%D1%81%D1%82%D0%B0%D0%B2.pdf" in response.headers["Content-Disposition"]
        assert storedfiles.send(stored, inline=True).headers["Content-Disposition"].startswith("inline")

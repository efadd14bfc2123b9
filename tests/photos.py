"""Photos the tests make: a picture drawn by Pillow with EXIF time and GPS written by the test."""

from __future__ import annotations

import datetime as dt
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageDraw


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return (float(degrees), float(minutes), seconds)


def picture(seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A scene of its own per seed: blocks of colour that survive shrinking and re-encoding."""
    rng = random.Random(seed)
    img = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(img)
    w, h = size
    for _ in range(12):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        x1, y1 = x0 + rng.randrange(w // 6, w // 2), y0 + rng.randrange(h // 6, h // 2)
        draw.rectangle(
            (x0, y0, x1, y1), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256))
        )
    return img


def photo_bytes(
    *,
    seed: int = 1,
    taken: dt.datetime | None = None,
    lat: float | None = None,
    lon: float | None = None,
    size: tuple[int, int] = (320, 240),
    fmt: str = "JPEG",
    quality: int = 90,
) -> bytes:
    img = picture(seed, size=(320, 240))
    if size != (320, 240):
        img = img.resize(size)
    exif = Image.Exif()
    if taken is not None:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken.strftime(
            "%Y:%m:%d %H:%M:%S"
        )
    if lat is not None and lon is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        gps[ExifTags.GPS.GPSLatitude] = _dms(lat)
        gps[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        gps[ExifTags.GPS.GPSLongitude] = _dms(lon)
    buf = io.BytesIO()
    kwargs = {"quality": quality} if fmt == "JPEG" else {}
    img.save(buf, fmt, exif=exif.tobytes(), **kwargs)
    return buf.getvalue()


def photo_upload(name: str = "现场.jpg", **kw) -> SimpleUploadedFile:
    fmt = "PNG" if name.lower().endswith(".png") else "JPEG"
    return SimpleUploadedFile(name, photo_bytes(fmt=fmt, **kw), content_type=f"image/{fmt.lower()}")

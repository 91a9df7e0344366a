"""Pre-flight: a corpus made here, each failure with its own message and severity."""

import io
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image, ImageFilter

from skinapi import PhotoError
from skinapi.imaging.checks import check_photo
from skinapi.imaging.photo import apply_fixes, load_photo, preview_jpeg, upload_bytes

from ..helpers import jpeg


def png_bytes(image, **kwargs):
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **kwargs)
    return buffer.getvalue()


def severity(report, check_id):
    return next(c for c in report.checks if c.id == check_id).severity


def test_the_test_face_passes_every_blocking_check(face_bytes):
    report = check_photo(load_photo(face_bytes), "sd")
    assert report.ok, [c.message for c in report.blocking]


def test_a_phone_photo_stored_sideways_is_judged_and_sent_upright(face_image):
    """Phones store portraits turned, with an EXIF orientation tag: the checks judge the photo
    as people see it, and what is sent has the rotation in its pixels."""
    sideways = face_image.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to show"
    photo = load_photo(jpeg(sideways, exif=exif.tobytes()))
    assert photo.size == face_image.size == photo.image.size
    report = check_photo(photo, "sd")
    assert report.ok and severity(report, "face_count") == "pass"
    assert severity(report, "exif_rotation") == "pass"
    assert any("orientation 6" in note for note in report.notes)
    sent = Image.open(io.BytesIO(upload_bytes(photo)))
    assert sent.size == face_image.size and sent.getexif().get(0x0112, 1) == 1
    upright = load_photo(upload_bytes(photo))
    assert upright.exif_orientation == 1 and check_photo(upright, "sd").ok


def test_cmyk_jpeg_is_converted_with_a_note(face_image):
    photo = load_photo(jpeg(face_image.convert("CMYK")))
    assert photo.image.mode == "RGB" and any("CMYK" in n for n in photo.notes)
    assert check_photo(photo, "sd").ok


def test_16_bit_png_is_converted(face_image):
    gray16 = Image.fromarray(
        __import__("numpy").asarray(face_image.convert("L")).astype("uint16") * 257
    )
    photo = load_photo(png_bytes(gray16))
    assert photo.image.mode == "RGB" and any("16-bit" in n for n in photo.notes)
    assert check_photo(photo, "sd").ok


def test_animated_gif_uses_the_first_frame_and_blocks_on_format(face_image):
    buffer = io.BytesIO()
    frames = [face_image, face_image.rotate(10)]
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    photo = load_photo(buffer.getvalue())
    assert any("first of 2 frames" in n for n in photo.notes)
    report = check_photo(photo, "sd")
    assert severity(report, "format") == "block" and "reencode" in report.fixes
    assert apply_fixes(photo, report.fixes).format == "JPEG"


def _png_bomb(side=14000):
    """Past Pillow's bomb limit (2 × 89 M pixels) yet quick to build."""
    row = b"\x00" + bytes(side)
    raw = zlib.compress(row * side, 1)

    def chunk(kind, body):
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "empty"),
        (b"hello, I am a text file named photo.jpg\n" * 10, "not an image"),
        (b"%PDF-1.7\n...", "PDF"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "HEIC"),
        (None, "truncated"),
        ("bomb", "decompression bomb"),
    ],
)
def test_unreadable_files_get_a_clear_message(face_bytes, data, words):
    if data is None:
        data = face_bytes[: len(face_bytes) // 3]
    elif data == "bomb":
        data = _png_bomb()
    with pytest.raises(PhotoError) as caught:
        load_photo(data)
    assert words in str(caught.value) and str(caught.value).startswith("Cannot read this photo")


def test_one_pixel_image_blocks_on_resolution():
    report = check_photo(load_photo(png_bytes(Image.new("RGB", (1, 1)))), "sd")
    assert severity(report, "short_side") == "block" and severity(report, "face_count") == "block"
    assert "480" in next(c for c in report.checks if c.id == "short_side").message


def test_12000_px_image_is_decoded_small_and_blocks_on_long_side():
    photo = load_photo(jpeg(Image.new("RGB", (12000, 12000), (180, 150, 140))))
    assert max(photo.image.size) <= 6000 and photo.size == (12000, 12000)
    report = check_photo(photo, "sd")
    long_side = next(c for c in report.checks if c.id == "long_side")
    assert long_side.severity == "block" and long_side.fix == "downscale"


def test_hd_needs_1080(face_bytes):
    report = check_photo(load_photo(face_bytes), "hd")
    check = next(c for c in report.checks if c.id == "short_side")
    assert check.severity == "block" and "1080" in check.message and "SD" in check.message


def test_small_face_blocks_and_auto_crop_makes_a_photo_that_passes(face_image):
    wide = Image.new("RGB", (2400, 1300), (205, 205, 210))
    wide.paste(face_image.resize((540, 720)), (900, 300))
    photo = load_photo(jpeg(wide))
    report = check_photo(photo, "sd")
    face_width = next(c for c in report.checks if c.id == "face_width")
    assert face_width.severity == "block" and face_width.fix == "crop"
    assert "60%" in face_width.message
    fixed = apply_fixes(photo, report.fixes, "sd")
    after = check_photo(fixed, "sd")
    assert after.ok and not [c for c in after.warnings if c.id in ("face_width", "orientation")]
    assert fixed.size[1] > fixed.size[0]


def test_crop_that_would_fall_below_the_minimum_says_why(face_image):
    wide = Image.new("RGB", (2400, 1300), (205, 205, 210))
    wide.paste(face_image.resize((540, 720)), (900, 300))
    photo = load_photo(jpeg(wide))
    with pytest.raises(PhotoError) as caught:
        apply_fixes(photo, ["crop"], "hd")
    assert "1080" in str(caught.value) and "SD" in str(caught.value)


def test_two_faces_block(face_image):
    two = Image.new("RGB", (1440, 960))
    two.paste(face_image, (0, 0))
    two.paste(face_image, (720, 0))
    report = check_photo(load_photo(jpeg(two)), "sd")
    check = next(c for c in report.checks if c.id == "face_count")
    assert check.severity == "block" and "2 faces" in check.message
    assert report.engine_error == "error_multiple_people"


def test_no_face_blocks():
    report = check_photo(load_photo(jpeg(Image.new("RGB", (720, 960), (120, 160, 200)))), "sd")
    assert report.engine_error == "error_no_face"


def test_dark_photo_blocks(face_image):
    dark = Image.eval(face_image, lambda v: v // 4)
    report = check_photo(load_photo(jpeg(dark)), "sd")
    assert severity(report, "brightness") == "block"
    assert report.engine_error == "error_lighting_dark"


def test_blurred_photo_warns(face_image):
    blurred = face_image.filter(ImageFilter.GaussianBlur(8))
    report = check_photo(load_photo(jpeg(blurred)), "sd")
    assert severity(report, "sharpness") == "warn"


def test_sharp_photo_does_not_warn_about_sharpness(face_bytes):
    assert severity(check_photo(load_photo(face_bytes), "sd"), "sharpness") == "pass"


def test_oversized_file_blocks_and_reencode_fixes(face_image):
    import numpy as np

    noise = Image.fromarray(
        np.random.default_rng(1).integers(0, 255, (2200, 1700, 3), dtype=np.uint8)
    )
    photo = load_photo(png_bytes(noise))
    report = check_photo(photo, "sd")
    assert severity(report, "file_size") == "block" and "reencode" in report.fixes
    assert len(apply_fixes(photo, ["reencode"]).data) < 10 * 1024 * 1024


def _corpus(face_image):
    wide = Image.new("RGB", (2400, 1300), (205, 205, 210))
    wide.paste(face_image.resize((540, 720)), (900, 300))
    two = Image.new("RGB", (1440, 960))
    two.paste(face_image, (0, 0))
    two.paste(face_image, (720, 0))
    return {
        "good": jpeg(face_image),
        "small face": jpeg(wide),
        "two faces": jpeg(two),
        "no face": jpeg(Image.new("RGB", (720, 960), (120, 160, 200))),
        "dark": jpeg(Image.eval(face_image, lambda v: v // 4)),
        "tiny": jpeg(face_image.resize((300, 400))),
        "blurred": jpeg(face_image.filter(ImageFilter.GaussianBlur(8))),
    }


def test_the_pre_flight_and_the_emulator_judge_common_photos_alike(face_image, client):
    """Two readings of the contract, written apart (imaging.checks and demo/rules), agree on
    the everyday problems: what the pre-flight blocks, demo mode refuses with that error."""
    from skinapi import AnalysisSettings, EngineError

    for name, data in _corpus(face_image).items():
        expected = check_photo(load_photo(data), "sd").engine_error
        try:
            client.analyze(data, AnalysisSettings.build(["redness"]))
            got = None
        except EngineError as exc:
            got = exc.code
        assert got == expected, name


def test_faces_are_found_from_many_threads_at_once(face_image):
    """The live camera's frame thread and the emulator's engine search for faces concurrently;
    a shared OpenCV classifier fails there with an assertion at random."""
    import numpy as np

    from skinapi.imaging.faces import detect_faces

    frames = [np.asarray(face_image.resize((w, w * 4 // 3))) for w in (360, 420, 480, 540)]
    expected = [detect_faces(frame) for frame in frames]

    def search(frame):
        return [detect_faces(frame) for _ in range(15)]

    with ThreadPoolExecutor(len(frames)) as pool:
        found = list(pool.map(search, frames))
    assert all(runs == [want] * 15 for runs, want in zip(found, expected, strict=True))


@pytest.mark.parametrize("size", [(1000, 1), (40000, 1), (1, 1), (3, 5000)])
def test_strips_of_pixels_are_checked_not_crashed_on(size):
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 140, 160)).save(buffer, "PNG")
    report = check_photo(load_photo(buffer.getvalue()), "sd")
    assert not report.ok and "face_count" in {c.id for c in report.blocking}


def test_a_preview_is_a_jpeg_no_wider_than_asked_upright_and_none_for_no_photo():
    hd = Image.new("RGB", (1440, 2560), (200, 150, 120))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned: shown upright, so wider than tall
    buffer = io.BytesIO()
    hd.save(buffer, "JPEG", exif=exif)
    preview = Image.open(io.BytesIO(preview_jpeg(buffer.getvalue(), 360)))
    assert preview.format == "JPEG" and preview.width == 360
    assert abs(preview.height - 1440 * 360 / 2560) <= 1  # 202.5, rounded either way
    small = jpeg(Image.new("RGB", (200, 300)))
    assert Image.open(io.BytesIO(preview_jpeg(small, 360))).size == (200, 300)  # never enlarged
    assert preview_jpeg(b"not a photo", 360) is None


def test_an_orientation_tag_out_of_range_counts_as_upright_and_is_sent_as_it_is(face_image):
    exif = Image.Exif()
    exif[0x0112] = 99
    out = io.BytesIO()
    face_image.save(out, "JPEG", exif=exif.tobytes())
    photo = load_photo(out.getvalue())
    assert photo.exif_orientation == 1 and not photo.notes
    assert upload_bytes(photo) is photo.data


@pytest.mark.parametrize(
    "size, shown",
    [((720, 960), (360, 480)), ((20000, 10), (360, 18)), ((10, 20000), (36, 720))],
)
def test_a_preview_fits_its_width_and_twice_that_height_and_is_never_thinner_than_1_to_20(
    size, shown
):
    out = io.BytesIO()
    Image.new("RGB", size, (200, 180, 170)).save(out, "PNG")
    assert Image.open(io.BytesIO(preview_jpeg(out.getvalue(), 360))).size == shown


def test_only_pillows_own_warnings_make_the_damaged_metadata_note(monkeypatch, face_bytes):
    """`catch_warnings` records the whole process's warnings: another thread's (requests' SOCKS
    notice, as the CLI loads it beside the check) became 'the file's metadata is damaged'."""
    import warnings

    from PIL import Image

    from skinapi.imaging import photo as photo_module

    real_open = Image.open

    def open_while_another_thread_warns(*args, **kwargs):
        warnings.warn("SOCKS support in urllib3 requires PySocks", UserWarning, stacklevel=1)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(photo_module.Image, "open", open_while_another_thread_warns)
    assert not [n for n in photo_module.load_photo(face_bytes).notes if "metadata" in n]

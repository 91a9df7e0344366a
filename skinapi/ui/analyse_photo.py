"""The Analyse page's photo column: camera, upload or sample; the photo check card with its
one-click fixes."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ..concerns import MIN_SHORT_SIDE
from ..errors import PhotoError
from ..imaging.checks import PhotoReport
from ..imaging.photo import FIX_LABELS, SAMPLE_PHOTO, apply_fixes, load_photo, sample_hd_jpeg
from ..store.ids import photo_hash
from .media import inspect_photo, photo_preview, upright
from .state import forget_photo, remember_photo, remembered

SEVERITY_ICONS = {
    "pass": ":green[:material/check_circle:]",
    "warn": ":orange[:material/warning:]",
    "block": ":red[:material/block:]",
}
SOURCE_LABELS = {
    "sample": ":material/face: Sample photo",
    "upload": ":material/upload: Upload",
    "camera": ":material/photo_camera: Camera",
}
"""The sample first: the camera starts only when chosen (on a projector, a presenter's face
appeared the moment Analyse opened)."""

MAX_PHOTO_UPLOAD_MB = 25
"""What the photo check can still convert; the API itself takes under 10 MB."""


@dataclass(frozen=True)
class ChosenPhoto:
    data: bytes | None
    name: str
    source: str
    report: PhotoReport | None = None
    """None when there is no photo or it cannot be read."""


def photo_panel(quality: str) -> ChosenPhoto:
    st.header("Photo")
    source = remembered(
        st.radio,
        "Source",
        list(SOURCE_LABELS),
        horizontal=True,
        key="analyse_source",
        format_func=SOURCE_LABELS.get,
    )
    data, name, kept_photo = _pick(source, quality)
    if not data:
        return ChosenPhoto(None, name, source)
    data, orientation = upright(data)
    if orientation != 1:
        st.caption(f"Stored turned (EXIF orientation {orientation}): shown and sent upright.")
    original = data
    fixed = st.session_state.setdefault("photo_fixed", {}).get((photo_hash(data), quality))
    if fixed:
        data, name = fixed, "fixed.jpg"
    report, unreadable = inspect_photo(data, quality)
    if unreadable:
        st.error(f"{unreadable} Choose another photo.", icon=":material/broken_image:")
        return ChosenPhoto(data, name, source)
    width, height = report.size
    if fixed:
        before, after = st.columns(2)
        before.image(
            photo_preview(original), caption="Before", width="stretch", alt="The photo before fixes"
        )
        after.image(
            photo_preview(data),
            caption=f"After fixes · {width}×{height} px",
            width="stretch",
            alt=f"The photo after fixes, {width}×{height} px",
        )
        if st.button("Undo fixes", key="do_undo"):
            del st.session_state["photo_fixed"][(photo_hash(original), quality)]
            st.rerun()
    elif source == "camera" and not kept_photo:
        st.caption(f"Camera photo · {width}×{height} px")
    else:
        st.image(
            photo_preview(data),
            caption=f"{name} · {width}×{height} px",
            width=360,
            alt=f"The photo to analyse: {name}, {width}×{height} px",
        )
    minimum = MIN_SHORT_SIDE[quality]
    verdict = "meets" if min(width, height) >= minimum else "is below"
    st.caption(
        f"{width}×{height} px — {verdict} the {quality.upper()} minimum of {minimum} px on the short side."
    )
    check_card(report, data, original, quality)
    return ChosenPhoto(data, name, source, report)


def _pick(source: str, quality: str) -> tuple[bytes | None, str, bool]:
    """(photo bytes, file name, whether it is the remembered last photo of the source)."""
    if source == "sample" and quality == "hd":
        st.caption(
            "Public-domain NASA portrait (scikit-image's astronaut), cropped and upscaled to "
            "1080×1440 px, HD's minimum: it tries HD's concerns and masks, but an upscale adds "
            "no detail, so judge HD's scores on a real HD photo (upload one)."
        )
        return sample_hd_jpeg(), "sample_face_hd.jpg", False
    if source == "sample":
        st.caption(
            "Public-domain NASA portrait (scikit-image's astronaut), cropped: 720×960 px, for SD "
            "(choose HD under Quality for the same face at HD's 1080 px)."
        )
        return SAMPLE_PHOTO.read_bytes(), "sample_face.jpg", False
    data, name = None, "photo.jpg"
    if source == "camera":
        if quality == "hd":
            st.info(
                "HD needs a photo whose short side is 1080 px: a webcam's frame, cut to a "
                "portrait of the face, rarely gets there. Choose SD for the camera, or upload an "
                "HD photo.",
                icon=":material/hd:",
            )
        shot = st.camera_input(
            "Take a photo: face the camera, in even light, face filling most of the frame",
            resolution="720p" if quality == "sd" else "1080p",
            key=f"photo_camera_{quality}",
        )
        if shot:
            data, name = shot.getvalue(), "camera.jpg"
    else:
        upload = st.file_uploader(
            f"A photo, up to {MAX_PHOTO_UPLOAD_MB} MB: JPG or PNG under 10 MB goes as it is; other formats and "
            "larger files can be converted by the photo check's fix",
            type=["jpg", "jpeg", "png", "gif", "webp", "heic", "bmp", "tif", "tiff"],
            key="photo_upload",
            max_upload_size=MAX_PHOTO_UPLOAD_MB,
        )
        if upload and not upload.size:
            st.error(
                f"{upload.name} is empty (0 bytes): choose the photo again, or another one.",
                icon=":material/broken_image:",
            )
            # The uploader shows this file: an earlier photo must not stand in for it unseen.
            forget_photo(source)
            return None, upload.name, False
        if upload:
            data, name = upload.getvalue(), upload.name
    data, name, kept_photo = remember_photo(source, data, name)
    if kept_photo:
        st.caption("Your last photo, kept while you visited other pages.")
        if st.button("Clear it", key="do_forget_photo", icon=":material/close:"):
            forget_photo(source)
            st.rerun()
    return data, name, kept_photo


def check_card(report: PhotoReport, data: bytes, original: bytes, quality: str) -> None:
    """Every check, problems first, and one button for all the fixes that would help."""
    with st.container(border=True):
        problems = [c for c in report.checks if c.severity != "pass"]
        passed = [c for c in report.checks if c.severity == "pass"]
        if report.ok and not problems:
            st.markdown(
                f":green[:material/verified:] **Photo check passed** — all {len(passed)} checks"
            )
        elif report.ok:
            st.markdown(
                f":orange[:material/warning:] **Photo check passed with {len(problems)} "
                f"warning{'' if len(problems) == 1 else 's'}**"
            )
        else:
            st.markdown(":red[:material/block:] **The API would refuse this photo**")
        for check in problems:
            st.markdown(
                f"{SEVERITY_ICONS[check.severity]} **{check.title}** · {check.measured} — {check.message}"
            )
        seen = "each check" if not problems else f"the {len(passed)} checks that passed"
        if passed:
            with st.expander(f"See {seen}, with what it needs"):
                for check in passed:
                    st.markdown(
                        f"{SEVERITY_ICONS['pass']} **{check.title}** · {check.measured} (needs {check.threshold})"
                    )
        for note in report.notes:
            st.caption(note)
        if report.fixes and st.button(
            "Fix: " + "; ".join(FIX_LABELS[f] for f in report.fixes), key="do_fix"
        ):
            try:
                repaired = apply_fixes(load_photo(data), report.fixes, quality)
            except PhotoError as exc:
                st.error(str(exc), icon=":material/crop:")
            else:
                st.session_state["photo_fixed"][(photo_hash(original), quality)] = repaired.data
                st.rerun()

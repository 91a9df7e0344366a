"""The Results page's photo with masks: the picker whose chips wear the masks' colours, the
display options, a legend, and the concern chosen on the radar highlighted."""

from __future__ import annotations

import html
import re

import streamlit as st

from ..imaging import overlay
from ..presentation import exports
from ..runs.lifecycle import Run
from . import audit_log, media
from .state import remembered

IMAGE_HEIGHT = 440
"""The overlay is drawn at most this tall, so it sits beside the radar on the first screen."""


def mask_column(run: Run, focus: str | None = None) -> None:
    """The photo with the chosen masks, a legend and the display options; a concern picked on
    the radar is highlighted."""
    result = run.result
    maskable = [s.key for s in result.scores if s.mask_key in result.masks]
    if result.skin_type_mask_key:
        maskable.append(result.skin_type_mask_key)
    titles = {s.key: s.label for s in result.scores} | {result.skin_type_mask_key: "Skin type"}
    if not maskable:
        st.info("This result carries no masks.")
        return
    weakest_first = [s.key for s in sorted(result.scores, key=lambda s: s.raw_score)]
    default = [k for k in weakest_first if k in maskable and k.endswith(":whole")][:2] or maskable[
        :1
    ]
    if focus not in maskable:
        focus = None
    with st.container(key="results_mask_controls"):  # one under the other on a phone
        pick, options = st.columns([2.4, 1], vertical_alignment="bottom")
    masks_key = f"results_masks_{run.key}"
    with pick:
        picked = remembered(
            st.multiselect,
            "Masks",
            maskable,
            default=default,
            format_func=lambda k: titles.get(k, k),
            key=masks_key,
        )
    chosen = [*picked, focus] if focus and focus not in picked else list(picked)
    blended = media.blended_layers(run, chosen)
    if blended:
        st.caption("Blended by the API (enable_mask_overlay): shown as returned.")
        for key, image in blended:
            title = titles.get(key, key)
            st.image(
                image,
                caption=title,
                width=_fit(image.shape[1], image.shape[0]),
                alt=f"The analysed photo with the {title} mask, blended by the API",
            )
        return
    with options.popover("Display", icon=":material/tune:", width="stretch"):
        opacity = remembered(
            st.slider,
            "Opacity",
            min_value=0.0,
            max_value=1.0,
            value=0.65,
            step=0.05,
            key="results_opacity",
        )
        view = remembered(st.radio, "View", ["Overlay", "Side by side", "Wipe"], key="results_view")
        colours = {
            k: remembered(
                st.color_picker,
                titles.get(k, k),
                value=overlay.default_colour(k),
                key=f"results_colour_{k}",
            )
            for k in chosen
        }
    chip_colours(masks_key, picked, colours)
    image = media.overlay_image(
        run.task_id, tuple(chosen), tuple(sorted(colours.items())), opacity, run, focus
    )
    base = media.base_image(run)
    width = _fit(base.shape[1], base.shape[0])
    masked = "The analysed photo with masks: " + ", ".join(titles.get(k, k) for k in chosen)
    if view == "Side by side":
        left, right = st.columns(2)
        left.image(base, caption="Original", width="stretch", alt="The analysed photo, no masks")
        right.image(image, caption="With masks", width="stretch", alt=masked)
    elif view == "Wipe":
        position = remembered(
            st.slider,
            "Wipe",
            min_value=0,
            max_value=100,
            value=50,
            key="results_wipe",
            format="%d%%",
        )
        st.image(
            media.wipe(run, image, position),
            caption="← masks · original →",
            width=width,
            alt=f"{masked}, left of a line at {position} %; the photo without them right of it",
        )
    else:
        st.image(image, width=width, alt=masked)
    if focus:
        st.caption(
            f"Highlighting **{titles.get(focus, focus)}**; the other masks are faded. Choose it "
            "again to clear."
        )
    legend(chosen, colours, titles)
    st.download_button(
        "Download this overlay (JPEG)",
        audit_log.audited("download", image, file="overlay", run=run.id, task_id=result.task_id),
        exports.download_name(run.created, run.label, result.task_id, "-overlay.jpg"),
        "image/jpeg",
        key="do_download_overlay",
        on_click="ignore",
    )


def chip_colours(widget_key: str, keys: list[str], colours: dict[str, str]) -> None:
    """Each chosen mask's chip in the picker takes its mask's colour, so the picker doubles as a
    legend. Streamlit styles every chip alike; its `st-key-…` class lets one picker be styled."""
    scope = "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", widget_key.strip())
    rules = []
    for index, key in enumerate(keys):
        colour = colours.get(key) or overlay.default_colour(key)
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
            continue
        text = overlay.text_colour_on(colour)
        rules.append(
            f'.{scope} [data-tag-index="{index}"]'
            f"{{background-color:{colour} !important;color:{text} !important}}"
        )
    if rules:
        st.html(f"<style>{''.join(rules)}</style>")


def legend(keys: list[str], colours: dict[str, str], titles: dict[str, str]) -> None:
    """Which colour is which concern, beside the overlay."""
    chips = "".join(
        f'<span style="display:inline-block;margin:2px 10px 2px 0">'
        f'<span style="display:inline-block;width:12px;height:12px;border-radius:3px;'
        f"background:{html.escape(colours[k])};vertical-align:middle;margin-right:5px;"
        # An outline, so that a pale mask colour (oiliness' yellow, 1.06:1 on white) shows.
        f'box-shadow:inset 0 0 0 1px rgba(49,51,63,0.55)"></span>'
        f"{html.escape(titles.get(k, k))}</span>"
        for k in keys
    )
    st.markdown(f'<div data-testid="mask-legend">{chips}</div>', unsafe_allow_html=True)


def _fit(width: int, height: int) -> int:
    """The display width that keeps an image within IMAGE_HEIGHT px."""
    return max(160, min(int(width * IMAGE_HEIGHT / max(height, 1)), 640))

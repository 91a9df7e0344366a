"""The Analyse page's concern and option choices, turned into `AnalysisSettings`."""

from __future__ import annotations

import streamlit as st

from ..concerns import (
    CONCERNS,
    HD_ACTIONS,
    PRESET_LABELS,
    PRESETS,
    SD_ACTIONS,
    UNIT_TABLE,
    AnalysisSettings,
    preset_actions,
)
from ..errors import RequestValidationError
from .state import kept, remembered

QUALITY_LABELS = {"sd": "SD · short side ≥ 480 px", "hd": "HD · short side ≥ 1080 px"}


def _concerns_widget(quality: str, preset: str) -> tuple[int, list[str]]:
    """The concerns widget's generation (part of its key) and default: a new quality or preset
    makes a new widget whose default is the preset's concerns; otherwise the concerns last
    chosen (kept across pages).

    Its value is never seeded through session state: when a second click (Upload, right after
    HD) interrupted the run that first drew the widget, Streamlit sent the next run's widget
    with its declared default instead of the seeded value, and the browser sent that back —
    the concerns came out empty and Analyse disabled, in about 1 of 13 tries."""
    applied = st.session_state.get("analyse_preset_applied")
    chosen = st.session_state.setdefault("analyse_concerns_chosen", {})
    if quality not in chosen or (preset in PRESETS and applied not in (None, (quality, preset))):
        generation = chosen.get(quality, (0, []))[0] + 1
        actions = list(preset_actions(preset, quality)) if preset in PRESETS else []
        chosen[quality] = (generation, actions)
    st.session_state["analyse_preset_applied"] = (quality, preset)
    return chosen[quality]


def _concerns_edited(key: str, quality: str) -> None:
    """Concerns picked by hand no longer match the preset: it says "Custom selection"."""
    preset = st.session_state.get("analyse_preset")
    if preset in PRESETS and set(st.session_state[key]) != set(preset_actions(preset, quality)):
        st.session_state["analyse_preset"] = "custom"


def choose_concerns() -> tuple[str, list[str]]:
    """Quality, preset and concerns: (quality, chosen actions)."""
    quality = remembered(
        st.radio,
        "Quality",
        ["sd", "hd"],
        format_func=QUALITY_LABELS.get,
        horizontal=True,
        key="analyse_mode",
        help="SD: the standard concerns, a photo of at least 480 px on its short side. HD: finer "
        "masks and scores by region (pores, wrinkles), at least 1080 px. A run is all one.",
    )
    preset = remembered(
        st.selectbox,
        "Preset",
        [*PRESETS, "custom"],
        format_func=lambda p: PRESET_LABELS.get(p, "Custom selection"),
        key="analyse_preset",
    )
    generation, last = _concerns_widget(quality, preset)
    offered = SD_ACTIONS if quality == "sd" else HD_ACTIONS
    key = f"analyse_actions_{quality}_{generation}"
    actions = st.multiselect(
        "Concerns to analyse",
        offered,
        default=[a for a in last if a in offered],
        format_func=lambda name: CONCERNS[name].label,
        key=key,
        help="All SD or all HD: the API cannot mix them in one task.",
        on_change=_concerns_edited,
        args=(key, quality),
    )
    st.session_state["analyse_concerns_chosen"][quality] = (generation, actions)
    with st.expander("What each concern measures"):
        st.markdown(
            "\n".join(
                f"- **{CONCERNS[a].label}** — {CONCERNS[a].description}"
                for a in (actions or offered)
            )
        )
    return quality, actions


def choose_options(actions: list[str]) -> tuple[str, str, bool, dict]:
    """Options: (result format, API version, camera kit, miniserver_args)."""
    with st.expander("Options", expanded=False):
        overlay = remembered(
            st.toggle,
            "Masks blended onto the photo by the API (JPEG)",
            key="analyse_overlay",
            help="Off: raw PNG masks that SkinScope blends, with colours and opacity you choose.",
        )
        result_format = remembered(
            st.radio,
            "Result format",
            ["json", "zip"],
            horizontal=True,
            key="analyse_format",
            help="How the API delivers the scores and masks: one JSON answer or a ZIP of files. "
            "The scores are the same.",
        )
        api_version = remembered(
            st.radio,
            "API version",
            ["v2.1", "v2.0"],
            horizontal=True,
            key="analyse_api_version",
            index=["v2.1", "v2.0"].index(kept("settings_api_version", "v2.1")),
            help="The API's version: v2.1 is current (and takes pf_camera_kit); v2.0 is the "
            "older one, kept to compare with. In demo mode both are scored by the same engine.",
        )
        camera_kit = remembered(
            st.checkbox,
            "Photo came from YouCam's camera kit (pf_camera_kit)",
            key="analyse_camera_kit",
            disabled=api_version == "v2.0",
            help="pf_camera_kit: tells the API the photo was taken with YouCam's own camera "
            "kit (which guides framing and light), so it can trust the capture. v2.1 only.",
        )
        miniserver_args = {"enable_mask_overlay": True} if overlay else {}
        for concern, name in (("hd_pore", "pores"), ("hd_wrinkle", "wrinkles")):
            if concern in actions:
                miniserver_args |= _dark_background(concern, name)
    return result_format, api_version, camera_kit, miniserver_args


def _dark_background(concern: str, name: str) -> dict:
    if not remembered(st.toggle, f"Dark background for {name}", key=f"analyse_dark_{concern}"):
        return {}
    colour = remembered(
        st.color_picker,
        f"Background colour ({name})",
        value="#3D3D3D",
        key=f"analyse_dark_colour_{concern}",
    )
    opacity = remembered(
        st.slider,
        f"Background opacity ({name})",
        min_value=0.0,
        max_value=1.0,
        value=0.4,
        step=0.05,
        key=f"analyse_dark_opacity_{concern}",
    )
    return {
        f"enable_dark_background_{concern}": True,
        f"color_dark_background_{concern}": colour.lstrip("#").upper(),
        f"opacity_dark_background_{concern}": opacity,
    }


def settings_panel() -> tuple[str, AnalysisSettings | None]:
    """The whole settings column: (quality, settings or None when they cannot be sent)."""
    st.header("Concerns")
    quality, actions = choose_concerns()
    result_format, api_version, camera_kit, miniserver_args = choose_options(actions)
    try:
        settings = AnalysisSettings.build(
            actions,
            format=result_format,
            api_version=api_version,
            miniserver_args=miniserver_args,
            pf_camera_kit=True if camera_kit and api_version == "v2.1" else None,
        )
    except RequestValidationError as exc:
        st.warning(" ".join(exc.problems))
        return quality, None
    st.markdown(f"### {len(actions)} concerns · **{settings.units} units** per run")
    prices = ", ".join(
        f"{low}–{up_to}: {sd} SD / {hd} HD"
        for low, (up_to, sd, hd) in zip((1, 5, 9, 13), UNIT_TABLE, strict=True)
    )
    st.caption(
        "Units are what the API bills for a task, only when it succeeds; the price depends on "
        f"the quality and how many concerns a task has (documented table — concerns: {prices})."
    )
    return quality, settings

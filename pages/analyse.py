"""Analyse: a photo from the camera, an upload or the sample → checks → concerns → run."""

import time

import streamlit as st

from skinapi import ui
from skinapi.concerns import (
    CONCERNS,
    HD_ACTIONS,
    MIN_SHORT_SIDE,
    PRESET_LABELS,
    PRESETS,
    SD_ACTIONS,
    AnalysisSettings,
    preset_actions,
)
from skinapi.errors import PhotoError, RequestValidationError
from skinapi.photo import FIX_LABELS, SAMPLE_PHOTO, apply_fixes, load_photo

ui.routed_by_app()

SEVERITY_ICONS = {
    "pass": ":green[:material/check_circle:]",
    "warn": ":orange[:material/warning:]",
    "block": ":red[:material/block:]",
}
MODE_LABELS = {"sd": "SD · short side ≥ 480 px", "hd": "HD · short side ≥ 1080 px"}

conn = ui.connection()
st.title("Analyse a face")
if conn.mode == ui.DEMO:
    st.info(ui.DEMO_NOTICE, icon=":material/science:")
elif conn.client is None:
    st.warning("Live mode needs an API key: add it on the Settings page, or switch to Demo.")

# Runs interrupted by a rerun or a page switch carry on from their stored task_id.
for interrupted in [r for r in ui.runs().values() if r.state == "running" and r.task_id]:
    ui.execute(interrupted, conn.client)
    if interrupted.state == "success":
        st.session_state["current_run"] = interrupted.key
        st.switch_page("pages/results.py")
for lost in [r for r in ui.runs().values() if r.state == "uploading"]:
    ui.mark_interrupted(lost)

photo_column, settings_column = st.columns([1.1, 1], gap="large")


def _apply_preset():
    preset = st.session_state["analyse_preset"]
    if preset in PRESETS:
        mode = st.session_state["analyse_mode"]
        st.session_state[f"analyse_actions_{mode}"] = list(preset_actions(preset, mode))


with settings_column:
    st.subheader("Concerns")
    mode = ui.remembered(
        st.radio,
        "Quality",
        ["sd", "hd"],
        format_func=MODE_LABELS.get,
        horizontal=True,
        key="analyse_mode",
        on_change=_apply_preset,
    )
    ui.remembered(
        st.selectbox,
        "Preset",
        [*PRESETS, "custom"],
        format_func=lambda p: PRESET_LABELS.get(p, "Custom selection"),
        key="analyse_preset",
        on_change=_apply_preset,
    )
    actions_key = f"analyse_actions_{mode}"
    if actions_key not in st.session_state and f"kept_{actions_key}" not in st.session_state:
        st.session_state[actions_key] = (
            list(preset_actions(st.session_state["analyse_preset"], mode))
            if st.session_state["analyse_preset"] in PRESETS
            else []
        )
    actions = ui.remembered(
        st.multiselect,
        "Concerns to analyse",
        SD_ACTIONS if mode == "sd" else HD_ACTIONS,
        format_func=lambda name: CONCERNS[name].label,
        key=actions_key,
        help="All SD or all HD: the API cannot mix them in one task.",
    )
    with st.expander("What each concern measures"):
        st.markdown(
            "\n".join(
                f"- **{CONCERNS[a].label}** — {CONCERNS[a].description}"
                for a in (actions or (SD_ACTIONS if mode == "sd" else HD_ACTIONS))
            )
        )

    with st.expander("Options", expanded=False):
        overlay = ui.remembered(
            st.toggle,
            "Masks blended onto the photo by the API (JPEG)",
            key="analyse_overlay",
            help="Off: raw PNG masks that SkinScope blends, with colours and opacity you choose.",
        )
        result_format = ui.remembered(
            st.radio, "Result format", ["json", "zip"], horizontal=True, key="analyse_format"
        )
        api_version = ui.remembered(
            st.radio,
            "API version",
            ["v2.1", "v2.0"],
            horizontal=True,
            key="analyse_api_version",
            index=["v2.1", "v2.0"].index(st.session_state.get("settings_api_version", "v2.1")),
        )
        camera_kit = ui.remembered(
            st.checkbox,
            "Photo came from YouCam's camera kit (pf_camera_kit)",
            key="analyse_camera_kit",
            disabled=api_version == "v2.0",
            help="v2.1 only.",
        )
        miniserver_args = {"enable_mask_overlay": True} if overlay else {}
        for concern, name in (("hd_pore", "pores"), ("hd_wrinkle", "wrinkles")):
            if concern in actions:
                if ui.remembered(
                    st.toggle, f"Dark background for {name}", key=f"analyse_dark_{concern}"
                ):
                    colour = ui.remembered(
                        st.color_picker,
                        f"Background colour ({name})",
                        value="#3D3D3D",
                        key=f"analyse_dark_colour_{concern}",
                    )
                    opacity = ui.remembered(
                        st.slider,
                        f"Background opacity ({name})",
                        min_value=0.0,
                        max_value=1.0,
                        value=0.4,
                        step=0.05,
                        key=f"analyse_dark_opacity_{concern}",
                    )
                    miniserver_args |= {
                        f"enable_dark_background_{concern}": True,
                        f"color_dark_background_{concern}": colour.lstrip("#").upper(),
                        f"opacity_dark_background_{concern}": opacity,
                    }

    settings, problems = None, []
    try:
        settings = AnalysisSettings.build(
            actions,
            format=result_format,
            api_version=api_version,
            miniserver_args=miniserver_args,
            pf_camera_kit=True if camera_kit and api_version == "v2.1" else None,
        )
        st.markdown(f"#### {len(actions)} concerns · **{settings.units} units** per run")
        st.caption(
            "Units are spent only when a task succeeds (documented table: 1–4, 5–8, 9–12, 13–16 concerns)."
        )
    except RequestValidationError as exc:
        problems = exc.problems
        st.warning(" ".join(problems))

with photo_column:
    st.subheader("Photo")
    source = ui.remembered(
        st.radio,
        "Source",
        ["camera", "upload", "sample"],
        horizontal=True,
        key="analyse_source",
        format_func={
            "camera": ":material/photo_camera: Camera",
            "upload": ":material/upload: Upload",
            "sample": ":material/face: Sample photo",
        }.get,
    )
    data, name, remembered = None, "photo.jpg", False
    if source == "camera":
        shot = st.camera_input(
            "Take a photo: face the camera, in even light, face filling most of the frame",
            resolution="720p" if mode == "sd" else "1080p",
            key=f"photo_camera_{mode}",
        )
        if shot:
            data, name = shot.getvalue(), "camera.jpg"
    elif source == "upload":
        upload = st.file_uploader(
            "JPG or PNG, under 10 MB",
            type=["jpg", "jpeg", "png", "gif", "webp", "heic", "bmp", "tif", "tiff"],
            key="photo_upload",
        )
        if upload:
            data, name = upload.getvalue(), upload.name
    if source != "sample":
        data, name, remembered = ui.remember_photo(source, data, name)
        if remembered:
            st.caption("Your last photo, kept while you visited other pages.")
            if st.button("Clear it", key="do_forget_photo", icon=":material/close:"):
                ui.forget_photo(source)
                st.rerun()
    else:
        data, name = SAMPLE_PHOTO.read_bytes(), "sample_face.jpg"
        st.caption("Public-domain NASA portrait (scikit-image's astronaut), cropped.")

    report = None
    if data:
        fixed = st.session_state.setdefault("photo_fixed", {}).get((ui.photo_hash(data), mode))
        original = data
        if fixed:
            data, name = fixed, "fixed.jpg"
        report, unreadable = ui.inspect_photo(data, mode)
        if unreadable:
            st.error(f"{unreadable} Choose another photo.", icon=":material/broken_image:")
        else:
            width, height = report.size
            minimum = MIN_SHORT_SIDE[mode]
            if fixed:
                before, after = st.columns(2)
                before.image(original, caption="Before", width="stretch")
                after.image(data, caption=f"After fixes · {width}×{height} px", width="stretch")
                if st.button("Undo fixes", key="do_undo"):
                    del st.session_state["photo_fixed"][(ui.photo_hash(original), mode)]
                    st.rerun()
            elif source == "camera" and not remembered:
                st.caption(f"Camera photo · {width}×{height} px")
            else:
                st.image(data, caption=f"{name} · {width}×{height} px", width=360)
            verdict = "meets" if min(width, height) >= minimum else "is below"
            st.caption(
                f"{width}×{height} px — {verdict} the {mode.upper()} minimum of {minimum} px on the short side."
            )
            with st.container(border=True):
                problems = [c for c in report.checks if c.severity != "pass"]
                passed = [c for c in report.checks if c.severity == "pass"]
                if report.ok and not problems:
                    st.markdown(
                        f":green[:material/verified:] **Photo check passed** — all {len(passed)} checks"
                    )
                elif report.ok:
                    st.markdown(
                        f":orange[:material/warning:] **Photo check passed with {len(problems)} warning(s)**"
                    )
                else:
                    st.markdown(":red[:material/block:] **The API would refuse this photo**")
                for check in problems:
                    st.markdown(
                        f"{SEVERITY_ICONS[check.severity]} **{check.title}** · {check.measured} — {check.message}"
                    )
                with st.expander(f"{len(passed)} checks passed"):
                    for check in passed:
                        st.markdown(
                            f"{SEVERITY_ICONS['pass']} **{check.title}** · {check.measured} (needs {check.threshold})"
                        )
                for note in report.notes:
                    st.caption(note)
                if report.fixes:
                    if st.button(
                        "Fix: " + "; ".join(FIX_LABELS[f] for f in report.fixes), key="do_fix"
                    ):
                        try:
                            repaired = apply_fixes(load_photo(data), report.fixes, mode)
                        except PhotoError as exc:
                            st.error(str(exc), icon=":material/crop:")
                        else:
                            st.session_state["photo_fixed"][(ui.photo_hash(original), mode)] = (
                                repaired.data
                            )
                            st.rerun()

with settings_column:
    ready = data is not None and report is not None and report.ok and settings is not None
    run = ui.runs().get(ui.run_key(data, settings, conn.mode)) if ready else None
    if conn.mode == ui.LIVE and conn.client is None:
        reason = "Add an API key on the Settings page to run live."
    elif data is None:
        reason = "Take, upload or pick a photo."
    elif report is None:
        reason = "This photo cannot be read."
    elif not report.ok:
        reason = "Fix the photo's blocking problems first."
    elif settings is None:
        reason = "Choose concerns that can be analysed together."
    else:
        reason = None

    if run and run.state == "success":
        st.success(
            f"This photo was already analysed with these settings (task `{run.task_id}`). Showing it costs nothing."
        )
        view, again = st.columns([1, 1])
        if view.button("View results", type="primary", key="do_view", width="stretch"):
            st.session_state["current_run"] = run.key
            st.switch_page("pages/results.py")
        rerun = again.button(
            f"Re-run anyway · {settings.units} units", key="do_rerun", width="stretch"
        )
    else:
        label = f"Analyse · {settings.units} units" if settings else "Analyse"
        rerun = st.button(
            label,
            type="primary",
            disabled=reason is not None or bool(run and run.in_flight),
            key="do_run",
            width="stretch",
        )
        if reason:
            st.caption(reason)

    if rerun and ready:
        run = ui.Run(ui.run_key(data, settings, conn.mode), data, name, source, settings, conn.mode)
        ui.runs()[run.key] = run
        st.session_state["current_run"] = run.key
        ui.execute(run, conn.client)
        if run.state == "success":
            st.switch_page("pages/results.py")

    with st.expander("Repeatability: run this photo and these settings N times"):
        times = ui.remembered(
            st.number_input, "Runs", min_value=2, max_value=10, value=3, key="analyse_repeat_n"
        )
        units = settings.units * times if settings else 0
        st.caption(
            "Each run is a billed task. The spread between them shows how much of a difference between two runs is noise; see it on the Compare page."
        )
        if st.button(
            f"Run {times} times · {units} units", key="do_repeat", disabled=reason is not None
        ):
            series = time.strftime("repeat %Y-%m-%d %H:%M:%S")
            for index in range(times):
                repeat = ui.Run(
                    f"{ui.run_key(data, settings, conn.mode)}#{series}#{index}",
                    data,
                    name,
                    source,
                    settings,
                    conn.mode,
                    label=series,
                )
                ui.runs()[repeat.key] = repeat
                ui.execute(repeat, conn.client)
                if repeat.state != "success":
                    run = repeat
                    break
            else:
                st.session_state["compare_series"] = series
                st.switch_page("pages/compare.py")

    if run and run.state in ("error", "stalled") and run.error:
        ui.show_error(run.error)
        if run.state == "stalled" and st.button("Resume waiting for this task", key="do_resume"):
            run.state = "running"
            st.rerun()
    if run and run.state == "interrupted":
        st.warning(
            "The last run was interrupted before its task was created: nothing was billed. Run it again."
        )

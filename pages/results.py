"""Results: headline numbers, radar charts beside mask overlays, the score table and downloads."""

import streamlit as st

from skinapi import charts, exports, overlay, ui
from skinapi.concerns import CONCERNS, label, region_label

ui.routed_by_app()

run = ui.current_run()
st.title("Results")
if run is None or run.state != "success":
    st.info("No result to show yet. Analyse a photo first.", icon=":material/biotech:")
    st.page_link("pages/analyse.py", label="Go to Analyse", icon=":material/photo_camera:")
    st.stop()

result = run.result
if run.mode == ui.DEMO:
    st.info(ui.DEMO_NOTICE, icon=":material/science:")

skin_type = {z.region: z.label for z in result.skin_types}
headline = st.columns([1, 1, 1.7, 1.3, 1, 1])
headline[0].metric(
    "Overall",
    f"{result.overall:.0f}" if result.overall is not None else "—",
    help="1–100, higher is healthier",
)
headline[1].metric("Skin age", f"{result.skin_age:.0f}" if result.skin_age is not None else "—")
headline[2].metric("Skin type", skin_type.get("whole", "—"))
headline[3].metric("Mode", f"{run.settings.mode.upper()} · {result.api_version}")
headline[4].metric("Duration", f"{run.duration:.1f} s" if run.duration else "—")
headline[5].metric("Units", run.units, help="From the documented table; spent on success only.")
if len(skin_type) > 1:
    st.caption(" · ".join(f"{region_label(r)}: **{t}**" for r, t in skin_type.items()))

chart_column, mask_column = st.columns(2, gap="large")
with chart_column:
    st.subheader("Concern scores")
    use_raw = ui.remembered(
        st.toggle,
        "Raw scores",
        key="results_raw",
        help="ui_score is what people see; raw_score is for comparing.",
    )
    st.plotly_chart(
        charts.result_radar(result, use_raw=use_raw),
        key="results_radar",
        config={"displayModeBar": False},
    )
    ranked = sorted(result.headline_scores(), key=lambda s: s.raw_score)
    weakest, strongest = st.columns(2)
    with weakest:
        st.markdown("**Needs most attention**")
        for s in ranked[:3]:
            st.markdown(f":orange[:material/trending_down:] {s.label} · **{s.ui_score}**")
    with strongest:
        st.markdown("**Strongest**")
        for s in reversed(ranked[-3:]):
            st.markdown(f":green[:material/trending_up:] {s.label} · **{s.ui_score}**")

with mask_column:
    st.subheader("Mask overlays")
    maskable = [s.key for s in result.scores if s.mask_key in result.masks]
    if result.skin_type_mask_key:
        maskable.append(result.skin_type_mask_key)
    titles = {s.key: s.label for s in result.scores} | {result.skin_type_mask_key: "Skin type"}
    if not maskable:
        st.info("This result carries no masks.")
    else:
        weakest_first = [s.key for s in sorted(result.scores, key=lambda s: s.raw_score)]
        default = [k for k in weakest_first if k in maskable and k.endswith(":whole")][
            :2
        ] or maskable[:1]
        chosen = ui.remembered(
            st.multiselect,
            "Masks",
            maskable,
            default=default,
            format_func=lambda k: titles.get(k, k),
            key=f"results_masks_{run.key}",
        )
        blended = ui.blended_layers(run, chosen)
        if blended:
            st.caption("Blended by the API (enable_mask_overlay): shown as returned.")
            for key, image in blended:
                st.image(image, caption=titles.get(key, key), width="stretch")
        else:
            opacity = ui.remembered(
                st.slider,
                "Opacity",
                min_value=0.0,
                max_value=1.0,
                value=0.65,
                step=0.05,
                key="results_opacity",
            )
            with st.expander("Colours"):
                colours = {
                    k: ui.remembered(
                        st.color_picker,
                        titles.get(k, k),
                        value=overlay.default_colour(k),
                        key=f"results_colour_{k}",
                    )
                    for k in chosen
                }
            view = ui.remembered(
                st.radio,
                "View",
                ["Overlay", "Side by side", "Wipe"],
                horizontal=True,
                key="results_view",
            )
            image = ui.overlay_image(
                run.task_id, tuple(chosen), tuple(sorted(colours.items())), opacity, run
            )
            if view == "Side by side":
                left, right = st.columns(2)
                left.image(ui.base_image(run), caption="Original", width="stretch")
                right.image(image, caption="With masks", width="stretch")
            elif view == "Wipe":
                position = ui.remembered(
                    st.slider,
                    "Wipe",
                    min_value=0,
                    max_value=100,
                    value=50,
                    key="results_wipe",
                    format="%d%%",
                )
                st.image(
                    ui.wipe(run, image, position), caption="← masks · original →", width="stretch"
                )
            else:
                st.image(image, width="stretch")
            st.download_button(
                "Download this overlay (JPEG)",
                image,
                f"{result.task_id}_overlay.jpg",
                "image/jpeg",
                key="do_download_overlay",
                on_click="ignore",
            )

regional = [c for c in ("hd_pore", "hd_wrinkle") if result.regional_scores(c)]
if regional:
    st.subheader("By region")
    for column, concern in zip(st.columns(len(regional)), regional, strict=True):
        with column:
            st.markdown(f"**{label(concern)}**")
            st.plotly_chart(
                charts.regional_radar(result, concern, use_raw=use_raw),
                key=f"results_regional_{concern}",
                config={"displayModeBar": False},
            )

st.subheader("All scores")
st.dataframe(
    [
        {
            "Concern": label(s.type),
            "Region": region_label(s.region),
            "Score": s.ui_score,
            "Raw score": round(s.raw_score, 1),
            "What it measures": CONCERNS[s.type].description if s.type in CONCERNS else "",
        }
        for s in result.scores
    ],
    hide_index=True,
    width="stretch",
    column_config={
        "Score": st.column_config.ProgressColumn("Score", min_value=0, max_value=100, format="%d")
    },
)

downloads = st.columns(3)
downloads[0].download_button(
    "Result (JSON)",
    lambda: exports.result_json(result, {"settings": run.settings.describe(), "mode": run.mode}),
    f"{result.task_id}.json",
    "application/json",
    key="do_download_json",
    width="stretch",
    on_click="ignore",
)
downloads[1].download_button(
    "Scores (CSV)",
    lambda: exports.result_csv(result),
    f"{result.task_id}.csv",
    "text/csv",
    key="do_download_csv",
    width="stretch",
    on_click="ignore",
)
downloads[2].download_button(
    "All masks (ZIP)",
    lambda: exports.masks_zip(result),
    f"{result.task_id}_masks.zip",
    "application/zip",
    key="do_download_masks",
    width="stretch",
    on_click="ignore",
)

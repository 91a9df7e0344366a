"""The Live trial's cameras: the real-time video with per-frame guidance (streamlit-webrtc) and
the browser-side photo camera that takes full-resolution stills (a small v2 component)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import streamlit as st

LIVE_VIDEO_KEY = "live-camera"


def _loopback_ice() -> None:
    """With SKINSCOPE_WEBRTC_LOOPBACK=1 the server offers 127.0.0.1 as its only ICE candidate
    (aioice leaves loopback out), so the camera works in a machine or namespace whose only
    network is loopback: the browser tests run that way."""
    if os.environ.get("SKINSCOPE_WEBRTC_LOOPBACK") != "1":
        return
    import aioice.ice

    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


def live_camera(state):
    """The real-time camera (streamlit-webrtc, no ICE servers: it needs no internet), drawing the
    guidance on every frame; None when streamlit-webrtc is not installed."""
    try:
        import av
        from streamlit_webrtc import WebRtcMode, webrtc_streamer
    except ImportError:
        st.caption("Live guidance needs streamlit-webrtc; using the simple camera.")
        return None
    _loopback_ice()

    def on_frame(frame):
        started = time.perf_counter()
        rgb = frame.to_ndarray(format="rgb24")
        preview = state.on_frame(rgb)
        state.frame_ms = 1000 * (time.perf_counter() - started)
        # The preview goes back at most 640 px wide: encoding it costs the server a fraction
        # of full size, which leaves the browser's encoder room to keep sending 720p.
        if preview.shape[1] > 640:
            height = round(preview.shape[0] * 640 / preview.shape[1])
            preview = cv2.resize(preview, (640, height), interpolation=cv2.INTER_AREA)
        return av.VideoFrame.from_ndarray(preview, format="rgb24")

    return webrtc_streamer(
        key=LIVE_VIDEO_KEY,
        mode=WebRtcMode.SENDRECV,
        rtc_configuration={"iceServers": []},
        media_stream_constraints={
            "video": {
                "width": {"ideal": 540},
                "height": {"ideal": 720},
                "aspectRatio": {"ideal": 0.75},
                "resizeMode": "crop-and-scale",
                "frameRate": {"ideal": 15, "max": 15},
            },
            "audio": False,
        },
        video_frame_callback=on_frame,
        async_processing=True,
        # A portrait video at the column's width was taller than a laptop's screen (the checks
        # and Capture below the fold). Not in vh: inside the component's frame a vh is a share
        # of the frame's own height, which shrinks to fit the video.
        video_html_attrs={
            "style": {"width": "100%", "maxHeight": "420px", "objectFit": "contain"},
            "autoPlay": True,
            "controls": False,
            "muted": True,
        },
    )


_photo_camera = st.components.v2.component(
    "skinscope_photo_camera",
    js=(Path(__file__).parent / "assets" / "still_camera.js").read_text(),
)
PHOTO_CAMERA_IDEAL = (1920, 1080)


@dataclass(frozen=True)
class PhotoCamera:
    """What the browser's photo camera reported: its size, or why it could not open."""

    size: tuple[int, int] | None
    label: str
    error: str | None
    still: dict | None
    """The last still taken: request number, base64 JPEG, width, height."""


def photo_camera(request: int | None, camera_known: bool) -> PhotoCamera:
    """The browser-side photo camera of the Live trial: it opens the camera at up to 1080p and
    takes a still for each new `request` number (see assets/still_camera.js)."""
    width, height = PHOTO_CAMERA_IDEAL
    result = _photo_camera(
        key="live-photo-camera",
        data={
            "request": request,
            "width": width,
            "height": height,
            "videoKey": LIVE_VIDEO_KEY,
            "cameraKnown": camera_known,
        },
        default={"camera": None, "still": None},
        on_camera_change=lambda: None,
        on_still_change=lambda: None,
        height=1,
    )
    camera = result.camera or {}
    size = (camera["width"], camera["height"]) if camera.get("width") else None
    return PhotoCamera(size, camera.get("label", ""), camera.get("error"), result.still)

"""Imaging: faces, photo loading and checks, mask overlays, live framing guidance.

Uses the core and Pillow/OpenCV/numpy; never the demo server, the run store or Streamlit.
"""

CHECKS_VERSION = "1"
"""Names what `checks.check_photo` judges by; a stored verdict of another version is not
reused. Raise it with any change to the checks or their thresholds."""

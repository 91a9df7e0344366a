"""Imaging: faces, photo loading and checks, mask overlays, live framing guidance.

Uses the core and Pillow/OpenCV/numpy; never the demo server, the run store or Streamlit.
"""

"""Records: the run store, the one run path, tables and statistics, exports, reports and charts.

Uses the core and imaging; never Streamlit or the demo server.
"""

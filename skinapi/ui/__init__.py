"""The dashboard's Streamlit layer, the only importer of Streamlit, split by job:

- `state`: page routing, widget values kept across pages, the session's runs;
- `connection`: the connection mode (demo or live), the cached client and emulator;
  `messages`: errors and notices;
- who may do what: `identity` (the signed-in person), `access` (sign-in and each page's role
  check), `audit_log` (the one writer of the audit trail), `spend_view` (daily spend caps);
- `runflow`: a run of the lifecycle wrapped in `st.status`; `run_store`: the run store as the
  app uses it; `batch_job`: a batch on a thread of its own;
- `media`: photo checks and overlays, cached; `camera`: the Live trial's cameras (+ `assets/`);
- `frame`: the sidebar every page shares; the views, one module per page's parts:
  `analyse_settings`, `analyse_photo`, `analyse_run`, `results_view`, `mask_view`,
  `history_view`, `history_detail`, `history_export`, `compare_view`, `batch_view`,
  `cohort_view`, `audit_view`, `live_view`, `live_capture`, `live_conditions`,
  `live_participants`, `live_ghost`, `trial_view`, `participant_view`, `participant_report`;
- `history_bench`: the History page measured in a process of its own (`bench history`).
"""

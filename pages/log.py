"""Ändringslogg: the append-only audit log (who did what, when)."""

import pandas as pd
import streamlit as st

from analytics.store import audit_entries
from ui import format as fmt
from ui.db import cursor
from ui.i18n import current_lang, describe, t
from ui.tables import show_table

st.title(t("log.title"))
st.caption(t("log.caption"))
entries = audit_entries(cursor(), limit=500)
if not entries:
    st.info(t("log.empty"))
    st.stop()
lang = current_lang()
frame = pd.DataFrame([{t("log.at"): fmt.date(e["at"], lang), t("log.actor"): e["actor"],
                       t("log.action"): t(f"action.{e['action']}"), t("log.detail"): describe(e["detail"], lang)}
                      for e in entries])
show_table(frame, hide_index=True, width="stretch")

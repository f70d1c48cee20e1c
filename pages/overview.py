"""Översikt: what is loaded, for the sidebar's period and units."""

import streamlit as st

from analytics.ledger import has_data, overview
from ui import format as fmt
from ui import state
from ui.cache import query
from ui.charts.trend import quarterly_spend
from ui.db import cursor
from ui.i18n import current_lang, t
from ui.tables import show_table
from ui.widgets import empty_state, kpi_row, show_chart, spend_scope_caption

st.title(t("overview.title"))
cur = cursor()
if not query(has_data):
    empty_state(st.session_state[state.PAGES]["upload"])
    st.stop()

lang = current_lang()
filters = st.session_state.get(state.FILTERS)
data = query(overview, filters)
k = data["kpis"]
kpi_row([
    (t("kpi.spend"), fmt.msek(k["spend"], lang), t("kpi.spend_help")),
    (t("kpi.lines"), fmt.number(k["lines"], lang), None),
    (t("kpi.suppliers"), fmt.number(k["suppliers"], lang), None),
    (t("kpi.org_units"), fmt.number(k["org_units"], lang), None),
    (t("kpi.valid_org"), fmt.percent(k["valid_org_share"], lang), t("kpi.valid_org_help")),
])
spend_scope_caption(k, lang)
if k["lines"] == 0:
    st.warning(t("overview.no_lines_in_filter"))
    st.stop()
show_chart(quarterly_spend(data["by_quarter"], title=t("overview.trend_title"), y_title="MSEK"),
                width="stretch")
st.subheader(t("overview.top_suppliers"))
top = data["top_suppliers"].rename(columns={"supplier": t("col.supplier"), "org_no": t("col.org_no"),
                                            "spend": t("col.spend"), "lines": t("col.lines")})
show_table(top, hide_index=True, width="stretch",
             column_config={t("col.spend"): st.column_config.NumberColumn(format="localized")})
st.caption(t("overview.credit_notes", n=fmt.number(k["credit_notes"], lang)))

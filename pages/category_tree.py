"""Kategoriträd: spend over the category tree as a treemap or sunburst; a click opens the spend
cube filtered to the node."""

import streamlit as st

from analytics import cube
from analytics import tree as catree
from analytics.ledger import has_data
from ui import format as fmt
from ui import state
from ui.cache import query
from ui.charts.tree import spend_treemap
from ui.db import cursor
from ui.i18n import current_lang, t
from ui.widgets import empty_state, show_chart, spend_scope_caption

st.title(t("tree.title"))
cur = cursor()
if not query(has_data):
    empty_state(st.session_state[state.PAGES]["upload"])
    st.stop()
lang = current_lang()

c1, c2, c3 = st.columns([2, 2, 1])
color_by = c1.segmented_control(t("tree.color_by"), ["change", "classified"], key="tree_color", default="change",
                                format_func=lambda v: t(f"tree.color_{v}"))
chart = c2.segmented_control(t("tree.chart"), ["treemap", "sunburst"], key="tree_chart", default="treemap",
                             format_func=lambda v: t(f"tree.chart_{v}"))
top = c3.number_input(t("tree.top"), min_value=0, max_value=20, value=5, step=1, key="tree_top",
                      help=t("tree.top_help"))
view = cube.view_from_filters(st.session_state.get(state.FILTERS))
df = query(catree.spend_tree, view, int(top))
if df.empty:
    st.info(t("tree.empty"))
    st.stop()
labels = {"unclassified": t("cube.unclassified"), "excluded": t("cube.excluded"), "others": t("tree.others"),
          "rest": t("tree.rest")}
texts = {"msek": "MSEK", "share": t("tree.hover_share"), "suppliers": t("tree.hover_suppliers"),
         "change": t("tree.hover_change"), "classified": t("tree.hover_classified")}
fig = spend_treemap(df, color_by=color_by or "change", chart=chart or "treemap", labels=labels, texts=texts,
                    separators=", " if lang == "sv" else ".,")
st.caption(t("tree.legend_change") if (color_by or "change") == "change" else t("tree.legend_classified"))
# a new key after each opening, so a click already acted on does not fire again on return
nonce = st.session_state.get(state.TREE_NONCE, 0)
event = show_chart(fig, width="stretch", key=f"tree_fig_{nonce}", on_select="rerun", selection_mode="points")


def _open(node_id: str) -> None:
    """Set the spend cube's view to the node and go there."""
    drill, show = catree.cube_target(df, node_id)
    st.session_state[state.CUBE["drill"]] = drill
    st.session_state[state.CUBE["rows"]] = show
    st.session_state[state.CUBE["cols"]] = ""
    st.session_state[state.CUBE["cat"]] = []
    st.session_state[state.CUBE["sup"]] = []
    st.session_state[state.TREE_NONCE] = st.session_state.get(state.TREE_NONCE, 0) + 1
    st.switch_page(st.session_state[state.PAGES]["cube"])


points = (event.selection.get("points") or []) if event else []
clicked = points[0].get("id") if points else None
if clicked and clicked in set(df.id):
    _open(clicked)

# the same without a mouse: pick a node and open it
names = {}
for row in df.itertuples(index=False):
    if row.kind in ("category", "unclassified", "excluded"):
        label = labels.get(row.kind, row.name) if row.kind != "category" else row.name
        names[row.id] = ("· " * (row.level - 1)) + f"{label} ({fmt.msek(row.spend, lang)})"
s1, s2 = st.columns([4, 1])
by_label = {label: nid for nid, label in names.items()}
pick = s1.selectbox(t("tree.pick"), list(by_label), key="tree_pick")
if s2.button(t("tree.open"), key="tree_open", width="stretch", type="primary") and pick in by_label:
    _open(by_label[pick])

k = query(cube.kpis, view)
st.caption(t("tree.coverage", classified=fmt.percent(k["classified_share"], lang), excluded=fmt.msek(k["excluded_spend"], lang)))
spend_scope_caption(k, lang)

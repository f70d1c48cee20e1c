"""Prioritering: category initiatives on potential and feasibility, connected to the spend data;
edited through validated write-back, shown as a bubble matrix, a ranked list and a roadmap."""


import pandas as pd
import streamlit as st

from analytics import access, contracts
from analytics import prioritise as pr
from analytics import savings as sv
from analytics.errors import SpendkollenError
from analytics.export import Sheet, xlsx_bytes
from analytics.tree import nodes as tree_nodes
from ui import auth, state
from ui import format as fmt
from ui.cache import query
from ui.charts.matrix import bubble_matrix, roadmap
from ui.db import cursor
from ui.i18n import current_lang, error_text, t
from ui.tables import edit_texts, show_table, texts
from ui.widgets import file_uploader, kpi_row, lazy_tabs, show_chart

lang = current_lang()
cur = cursor()
st.title(t("pri.title"))
auth.read_only(access.INITIATIVES)
st.caption(t("pri.intro"))
done = st.session_state.pop(state.PRI_DONE, None)
if done:
    st.success(done, icon=":material/check_circle:")

STATUS = {s: t(f"pri.status_{s}") for s in pr.STATUSES}
by_status_label = {v: k for k, v in STATUS.items()}
paths = query(tree_nodes)
path_list = list(paths.path)
by_path = dict(zip(paths.path, paths.category_id))

# the 12-month window the spend is computed over
months = query(pr.window_ends)
c1, c2 = st.columns([2, 3])
end = c1.selectbox(t("pri.window"), months, key="pri_window", format_func=lambda d: t(
    "pri.window_label", lo=pr.window(d)[0].strftime("%Y-%m"), hi=d.strftime("%Y-%m")), help=t("pri.window_help")) \
    if months else None

with c2.expander(t("pri.weights"), expanded=False):
    w1, w2, w3 = st.columns(3)
    weights = {"potential": w1.slider(t("pri.w_potential"), 0.0, 5.0, pr.DEFAULT_WEIGHTS["potential"], 0.5, key="pri_wp"),
               "feasibility": w2.slider(t("pri.w_feasibility"), 0.0, 5.0, pr.DEFAULT_WEIGHTS["feasibility"], 0.5, key="pri_wf"),
               "saving": w3.slider(t("pri.w_saving"), 0.0, 5.0, pr.DEFAULT_WEIGHTS["saving"], 0.5, key="pri_ws")}
    st.caption(t("pri.formula", wp=weights["potential"], wf=weights["feasibility"], ws=weights["saving"]))

df = query(pr.table, window_end=end, weights=tuple(sorted(weights.items())))
tot = pr.totals(df)
kpi_row([(t("pri.kpi_initiatives"), fmt.number(len(df), lang), None),
         (t("pri.kpi_spend"), fmt.msek(tot["spend"], lang), t("pri.kpi_spend_help")),
         (t("pri.kpi_saving"), fmt.msek(tot["saving"], lang), None),
         (t("pri.kpi_share"), fmt.percent(tot["saving_share"], lang), t("pri.kpi_share_help"))])

# only the open tab runs (and is drawn)
tab_matrix, tab_edit, tab_rank, tab_road = lazy_tabs([t("pri.tab_matrix"), t("pri.tab_edit"), t("pri.tab_rank"),
                                                      t("pri.tab_roadmap")], state.PRI_TAB)

# ------------------------------------------------------------ matrix
if tab_matrix.open:
    with tab_matrix:
        if df.empty:
            st.info(t("pri.empty"))
        else:
            color_by = st.segmented_control(t("pri.color_by"), ["status", "start_year"], default="status", key="pri_color",
                                            format_func=lambda v: t(f"pri.color_{v}")) or "status"
            show_chart(bubble_matrix(df, color_by=color_by, status_labels=STATUS,
                                          quadrants={k: t(f"pri.quadrant_{k}") for k in ("hh", "hl", "lh", "ll")},
                                          x_title=t("pri.col_feasibility"), y_title=t("pri.col_potential"),
                                          separators=", " if lang == "sv" else ".,"), width="stretch", key="pri_matrix")
            st.caption(t("pri.matrix_caption"))

# ------------------------------------------------------------ edit (validated write-back)
if tab_edit.open:
    with tab_edit:
        st.caption(t("pri.edit_intro"))
        items = query(pr.load)
        names = {c: p for p, c in by_path.items()}
        computed = dict(zip(df.initiative_id, df.computed_spend))
        edit = pd.DataFrame({
            "initiative_id": [i.initiative_id for i in items],
            "name": [i.name for i in items],
            "categories": [[names[c] for c in i.category_ids if c in names] for i in items],
            "feasibility": [str(i.feasibility_low) if i.feasibility_low == i.feasibility_high
                            else f"{i.feasibility_low}-{i.feasibility_high}" for i in items],
            "potential": [i.potential for i in items],
            # numbers as texts in the UI language (the editor would use the browser's locale)
            "computed": texts([computed.get(i.initiative_id) for i in items], "number", lang),
            "override": edit_texts([i.spend_override for i in items], lang),
            "saving_sek": edit_texts([i.saving_sek for i in items], lang),
            "saving_pct": edit_texts([None if i.saving_pct is None else i.saving_pct * 100 for i in items], lang, 3),
            "start": [i.start or "" for i in items],
            "duration": [i.duration for i in items],
            "owner": [i.owner or "" for i in items],
            "status": [STATUS[i.status] for i in items],
        })
        if edit.empty:      # no initiatives yet: empty columns would be floats, which text cells cannot edit
            edit = edit.astype({c: "object" for c in edit.columns if c not in ("initiative_id", "potential", "duration")})
        with st.form("pri_form"):
            edited = st.data_editor(
                edit, key="pri_editor", num_rows="dynamic", hide_index=True, width="stretch",
                disabled=["initiative_id", "computed"],
                column_config={
                    "initiative_id": None,
                    "name": st.column_config.TextColumn(t("pri.col_name"), required=True, width="large"),
                    "categories": st.column_config.MultiselectColumn(t("pri.col_categories"), options=path_list, width="large"),
                    "feasibility": st.column_config.TextColumn(t("pri.col_feasibility"), help=t("pri.feasibility_help")),
                    "potential": st.column_config.NumberColumn(t("pri.col_potential"), min_value=1, max_value=5, step=1),
                    "computed": st.column_config.TextColumn(t("pri.col_computed"), alignment="right",
                                                            help=t("pri.computed_help")),
                    "override": st.column_config.TextColumn(t("pri.col_override"), alignment="right",
                                                            help=t("pri.override_help")),
                    "saving_sek": st.column_config.TextColumn(t("pri.col_saving_sek"), alignment="right"),
                    "saving_pct": st.column_config.TextColumn(t("pri.col_saving_pct"), alignment="right",
                                                              help=t("pri.saving_pct_help")),
                    "start": st.column_config.TextColumn(t("pri.col_start"), help=t("pri.start_help")),
                    "duration": st.column_config.NumberColumn(t("pri.col_duration"), min_value=1, max_value=40, step=1),
                    "owner": st.column_config.TextColumn(t("pri.col_owner")),
                    "status": st.column_config.SelectboxColumn(t("pri.col_status"), options=list(STATUS.values()),
                                                               required=True),
                })
            submitted = st.form_submit_button(t("pri.save"), type="primary", disabled=not auth.can(access.INITIATIVES))
        if submitted:
            try:
                rows = edited.assign(status=edited.status.map(by_status_label)).to_dict("records")
                try:
                    new_items = pr.from_rows(rows, by_path, lang=lang)
                except pr.InitiativeError as e:          # the column as the table heads it
                    e.column = t(f"pri.col_{e.column}")
                    raise
                res = sv.save_initiatives(cur, new_items, window_end=end, shown={i.initiative_id for i in items})
            except SpendkollenError as exc:          # a bad cell, or a change the role may not make
                st.error(error_text(exc), icon=":material/error:")
            else:
                st.session_state[state.PRI_DONE] = t("pri.saved", added=res["added"], changed=res["changed"], deleted=res["deleted"])
                st.rerun()

        x1, x2 = st.columns(2)
        frame = query(pr.export_frame)
        x1.download_button(t("pri.export"), data=lambda: xlsx_bytes([Sheet("Initiativ", frame)]),
                           file_name="spendkollen-initiativ.xlsx", key="pri_export", icon=":material/download:")
        up = file_uploader(t("pri.import"), ["xlsx"], where=x2, key="pri_file",
                              help=t("pri.import_help", columns=", ".join(pr.FILE_COLUMNS)))
        if up is not None and x2.button(t("pri.import_go"), key="pri_import", disabled=not auth.can(access.INITIATIVES)):
            try:
                res = sv.import_initiatives(cur, up.name, up.getvalue())
            except SpendkollenError as exc:
                st.error(error_text(exc), icon=":material/error:")
            else:
                st.session_state[state.PRI_DONE] = t("pri.saved", added=res["added"], changed=res["changed"], deleted=res["deleted"])
                st.rerun()

# ------------------------------------------------------------ ranked list
if tab_rank.open:
    with tab_rank:
        if not df.empty:
            ranked = df.sort_values(["rank", "name"])
            shown = pd.DataFrame({
                "rank": ranked["rank"], "name": ranked.name, "score": ranked.score,
                "potential": ranked.potential,
                "feasibility": [f"{lo}" if lo == hi else f"{lo}–{hi}" for lo, hi in zip(ranked.feasibility_low, ranked.feasibility_high)],
                "spend": ranked.spend.round(0),
                "override": [t("pri.override_mark") if o else "" for o in ranked.spend_is_override],
                "saving": ranked.saving.round(0), "saving_share": ranked.saving_share,
                "suppliers": ranked.suppliers, "trend": ranked.trend, "classified": ranked.classified_share,
                "contracts": ranked.contract_coverage,
                "renewal": [f"{fmt.date(d, lang)} ({', '.join(ids)})" if d else None
                            for d, ids in zip(ranked.renewal, ranked.renewal_contracts)],
                "start": ranked.start, "status": [STATUS[s] for s in ranked.status]})
            show_table(shown, hide_index=True, width="stretch", column_config={
                "rank": st.column_config.NumberColumn(t("pri.col_rank"), width="small"),
                "name": t("pri.col_name"), "score": st.column_config.NumberColumn(t("pri.col_score"), format="%.2f"),
                "potential": t("pri.col_potential"), "feasibility": t("pri.col_feasibility"),
                "spend": st.column_config.NumberColumn(t("pri.col_spend"), format="localized"),
                "override": t("pri.col_override_mark"),
                "saving": st.column_config.NumberColumn(t("pri.col_saving"), format="localized"),
                "saving_share": st.column_config.NumberColumn(t("pri.col_saving_share"), format="percent"),
                "suppliers": st.column_config.NumberColumn(t("pri.col_suppliers"), format="localized"),
                "trend": st.column_config.NumberColumn(t("pri.col_trend"), format="percent"),
                "classified": st.column_config.NumberColumn(t("pri.col_classified"), format="percent"),
                "contracts": st.column_config.NumberColumn(t("pri.col_contracts"), format="percent",
                                                           help=t("pri.contracts_help")),
                "renewal": st.column_config.TextColumn(t("pri.col_renewal"), help=t("pri.renewal_help")),
                "start": t("pri.col_start"), "status": t("pri.col_status")})
            st.caption(t("pri.rank_caption", wp=weights["potential"], wf=weights["feasibility"], ws=weights["saving"]))
            if not query(contracts.count):
                st.caption(t("pri.no_contracts"))

# ------------------------------------------------------------ roadmap
if tab_road.open:
    with tab_road:
        if not df.empty:
            show_chart(roadmap(df, status_labels=STATUS), width="stretch", key="pri_roadmap")
            st.caption(t("pri.roadmap_caption"))

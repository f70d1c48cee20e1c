"""Besparingar: planned, reported and measured savings per initiative and quarter, kept apart by
type; baselines frozen on approval; finance sign-off; index series; XLSX export."""

import pandas as pd
import streamlit as st

from analytics import access, contracts
from analytics import savings as sv
from analytics.cube import supplier_choices
from analytics.export import Sheet, xlsx_bytes
from ui import auth, state
from ui import format as fmt
from ui.cache import query
from ui.charts.savings import cumulative, waterfall
from ui.db import cursor
from ui.i18n import current_lang, t
from ui.tables import edit_texts, show_table, texts
from ui.widgets import kpi_row, lazy_tabs, run_edit, show_chart, show_done

lang = current_lang()
cur = cursor()
st.title(t("sav.title"))
auth.read_only(access.SAVINGS_REPORT)
st.caption(t("sav.intro", on=fmt.percent(sv.ON_TRACK, lang, 0), risk=fmt.percent(sv.AT_RISK, lang, 0)))
show_done()
TYPE = {k: t(f"sav.type_{k}") for k in sv.TYPES}
STATUS = {"on_track": t("sav.status_on_track"), "at_risk": t("sav.status_at_risk"), "behind": t("sav.status_behind")}
SEP = ", " if lang == "sv" else ".,"


last = query(sv.last_complete_quarter)
ov, qd = query(sv.follow_up)       # the overview and the quarters in one pass
if ov.empty:
    st.info(t("sav.empty"))
    st.page_link(st.session_state[state.PAGES]["prioritise"], label=t("sav.to_prioritise"), icon=":material/bubble_chart:")
    st.stop()
tot = sv.totals(ov)
st.caption(t("sav.until", quarter=last or "–"))
for kind in sv.TYPES:
    kpi_row([(f"{TYPE[kind]}: {t('sav.planned')}", fmt.money(tot[kind]["planned"], lang), None),
             (f"{TYPE[kind]}: {t('sav.reported')}", fmt.money(tot[kind]["reported"], lang), None),
             (f"{TYPE[kind]}: {t('sav.measured')}", fmt.money(tot[kind]["measured"], lang), t("sav.measured_help"))])

labels = {"planned": t("sav.planned"), "reported": t("sav.reported"), "measured": t("sav.measured")}
# only the open tab runs (and is drawn)
tab_all, tab_one, tab_index = lazy_tabs([t("sav.tab_all"), t("sav.tab_one"), t("sav.tab_index")], state.SAV_TAB)


if tab_all.open:
    with tab_all:
        if not qd.empty:
            show_chart(cumulative(qd, labels=labels, type_labels=TYPE, title=t("sav.cumulative"), separators=SEP),
                            width="stretch", key="sav_cum_all")
        shown = pd.DataFrame({
            "name": ov.name, "type": [TYPE[x] for x in ov.type], "status": [STATUS.get(s, "–") for s in ov.status],
            **{c: pd.to_numeric(ov[c], errors="coerce") for c in ("baseline", "baseline_diff", "planned", "reported", "measured")},
            "areas": ov.areas})
        show_table(shown, hide_index=True, width="stretch", column_config={
            "name": t("pri.col_name"), "type": t("sav.col_type"), "status": t("sav.col_status"),
            "baseline": st.column_config.NumberColumn(t("sav.col_baseline"), format="localized", help=t("sav.baseline_help")),
            "baseline_diff": st.column_config.NumberColumn(t("sav.col_baseline_diff"), format="localized",
                                                           help=t("sav.baseline_diff_help")),
            "planned": st.column_config.NumberColumn(t("sav.planned"), format="localized"),
            "reported": st.column_config.NumberColumn(t("sav.reported"), format="localized"),
            "measured": st.column_config.NumberColumn(t("sav.measured"), format="localized"),
            "areas": t("sav.col_areas")})
        st.caption(t("sav.status_rule", on=fmt.percent(sv.ON_TRACK, lang, 0), risk=fmt.percent(sv.AT_RISK, lang, 0)))
        st.markdown(f"**{t('sav.area_kpis')}**")
        ak = query(sv.area_kpis, ov)
        show_table(ak, hide_index=True, width="stretch", column_config={
            "area": t("sav.col_area"), "initiatives": t("pri.kpi_initiatives"),
            "baseline": st.column_config.NumberColumn(t("sav.col_baseline"), format="localized"),
            "measured": st.column_config.NumberColumn(t("sav.measured"), format="localized"),
            "saving_share": st.column_config.NumberColumn(t("pri.col_saving_share"), format="percent"),
            "suppliers": st.column_config.NumberColumn(t("pri.col_suppliers"), format="localized"),
            "contract_coverage": st.column_config.NumberColumn(t("pri.col_contracts"), format="percent",
                                                               help=t("pri.contracts_help"))})
        if not query(contracts.count):
            st.caption(t("pri.no_contracts"))
        export = [Sheet(TYPE[k], ov[ov.type == k].drop(columns=["initiative_id"]), title=TYPE[k]) for k in sv.TYPES]
        export.append(Sheet(t("sav.per_quarter"), qd))
        st.download_button(t("sav.export"), data=lambda: xlsx_bytes(export), file_name="spendkollen-besparingar.xlsx",
                           key="sav_export", icon=":material/download:")

if tab_one.open:
    with tab_one:
        names = dict(zip(ov.name, ov.initiative_id))
        pick = st.selectbox(t("sav.pick"), list(names), key="sav_pick")
        iid = int(names[pick])
        row = ov.set_index("initiative_id").loc[iid]
        s = query(sv.settings, iid)
        base = query(sv.baseline, iid)
        if base:
            st.caption(t("sav.baseline_line", spend=fmt.money(base["spend"], lang), lo=f"{base['from']:%Y-%m}",
                         hi=f"{base['to']:%Y-%m}", months=base["months"], who=base["frozen_by"],
                         at=fmt.date(base["frozen_at"], lang), now=fmt.money(row.baseline_now, lang),
                         diff=fmt.money(row.baseline_diff, lang)))
        else:
            st.warning(t("sav.no_baseline"))
            if st.button(t("sav.freeze"), key="sav_freeze", disabled=not auth.can(access.INITIATIVES)):
                run_edit(lambda: sv.freeze(cur, iid), t("sav.frozen"))
        with st.form("sav_settings"):
            c1, c2, c3 = st.columns(3)
            stype = c1.selectbox(t("sav.col_type"), list(sv.TYPES), index=list(sv.TYPES).index(s["saving_type"]),
                                 format_func=TYPE.get, key=f"sav_type_{iid}")
            series = query(sv.index_series_names)
            idx = c2.selectbox(t("sav.index"), [""] + series, index=([""] + series).index(s["index_series"] or ""),
                               format_func=lambda v: v or t("sav.no_index"), key=f"sav_index_{iid}")
            sup_names = dict(query(supplier_choices, 2000))
            sup_opts = list(sup_names)
            sups = c3.multiselect(t("sav.suppliers"), sup_opts, placeholder=t("ui.choose_options"), default=[k for k in s["supplier_keys"] if k in sup_opts],
                                  format_func=lambda k: sup_names.get(k, k), key=f"sav_sup_{iid}", help=t("sav.suppliers_help"))
            if st.form_submit_button(t("sav.save_settings"), disabled=not auth.can(access.INITIATIVES)):
                run_edit(lambda: sv.set_settings(cur, iid, stype, idx or None, sups), t("sav.settings_saved"))

        q = query(sv.quarters, iid, last)
        if not q.empty:
            cq = q.copy()
            for c in ("planned", "reported", "measured"):
                cq[f"cum_{c}"] = cq[c].fillna(0).cumsum()
            cq["type"] = s["saving_type"]
            show_chart(cumulative(cq, labels=labels, type_labels=TYPE, title=t("sav.cumulative_one"), separators=SEP),
                            width="stretch", key="sav_cum_one")
            measured_rows = q[q.measured.notna()]
            if not measured_rows.empty:
                lastq = measured_rows.iloc[-1]
                show_chart(waterfall(lastq.run_rate, lastq.adjustment, lastq.actual, separators=SEP,
                                          labels={"baseline": t("sav.wf_baseline"), "adjustment": t("sav.wf_adjustment"),
                                                  "saving": t("sav.wf_saving"), "current": t("sav.wf_current", quarter=lastq.quarter)},
                                          title=t("sav.waterfall")), width="stretch", key="sav_wf")
            # numbers as texts in the UI language (the editor would use the browser's locale)
            edit = pd.DataFrame({"quarter": q.quarter, "planned": edit_texts(q.planned, lang), "reported": edit_texts(q.reported, lang),
                                 "comment": [c if isinstance(c, str) else "" for c in q.comment],
                                 "measured": texts(q.measured, "number", lang), "method": q.method,
                                 "signed": [f"{b} {fmt.date(a, lang)}" if isinstance(b, str) else "" for b, a in zip(q.signed_by, q.signed_at)]})
            with st.form(f"sav_quarters_{iid}"):
                edited = st.data_editor(edit, key=f"sav_editor_{iid}", hide_index=True, width="stretch",
                                        disabled=["quarter", "measured", "method", "signed"], column_config={
                                            "quarter": t("sav.col_quarter"),
                                            "planned": st.column_config.TextColumn(t("sav.planned"), alignment="right"),
                                            "reported": st.column_config.TextColumn(t("sav.reported"), alignment="right"),
                                            "comment": st.column_config.TextColumn(t("sav.col_comment"), width="large"),
                                            "measured": st.column_config.TextColumn(t("sav.measured"), alignment="right"),
                                            "method": st.column_config.TextColumn(t("sav.col_method"), width="large"),
                                            "signed": t("sav.col_signed")})
                if st.form_submit_button(t("sav.save_quarters"), type="primary", disabled=not auth.can(access.SAVINGS_REPORT)):
                    def _save():
                        rows = ["quarter", "planned", "reported", "comment"]
                        try:
                            sv.save_quarters(cur, iid, edit[rows].to_dict("records"), edited[rows].to_dict("records"), lang=lang)
                        except sv.SavingsError as e:             # the column as the table heads it
                            e.column = {"planned": t("sav.planned"), "reported": t("sav.reported")}.get(e.column, e.column)
                            raise
                    run_edit(_save, t("sav.quarters_saved"))
            signable = sv.signable(q, last)
            s1, s2 = st.columns([3, 1])
            to_sign = s1.selectbox(t("sav.sign_quarter"), signable, key=f"sav_sign_q_{iid}") if signable else None
            if s2.button(t("sav.sign"), key=f"sav_sign_{iid}", disabled=not signable or not auth.can(access.SIGN_OFF), width="stretch"):
                run_edit(lambda: sv.sign_off(cur, iid, to_sign), t("sav.signed", quarter=to_sign))

if tab_index.open:
    with tab_index:
        st.caption(t("sav.index_intro"))
        series = query(sv.index_series_names)
        name = st.text_input(t("sav.index_name"), value=series[0] if series else "KPI", key="sav_index_name")
        current = query(sv.index_series, name)
        with st.form("sav_index_form"):
            table = st.data_editor(pd.DataFrame({"quarter": pd.Series(list(current), dtype=object),
                                                 "value": pd.Series(edit_texts(list(current.values()), lang, 4), dtype=object)}),
                                   num_rows="dynamic", hide_index=True, key="sav_index_editor", column_config={
                                       "quarter": st.column_config.TextColumn(t("sav.col_quarter"), required=True),
                                       "value": st.column_config.TextColumn(t("sav.col_index_value"), required=True,
                                                                            alignment="right")})
            if st.form_submit_button(t("sav.save_index"), disabled=not auth.can(access.INDEX)):
                values = {str(r.quarter): r.value for r in table.itertuples() if isinstance(r.quarter, str) and r.quarter.strip()}
                run_edit(lambda: sv.set_index(cur, name, values), t("sav.index_saved", series=fmt.md_escape(name)))

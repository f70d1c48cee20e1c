"""Nyckeltal: the fixed KPIs of every category area for a quarter (value, target, status, trend
on the quarter before), one KPI over the quarters, entering the entered ones with a comment,
and defining, changing and retiring KPIs."""

import pandas as pd
import streamlit as st

from analytics import access, kpis
from ui import auth, state
from ui import format as fmt
from ui.cache import query
from ui.charts.kpis import kpi_trend
from ui.db import cursor
from ui.i18n import current_lang, t
from ui.tables import show_table
from ui.widgets import kpi_row, kpi_status, lazy_tabs, run_edit, show_chart, show_done, show_kpis

lang = current_lang()
cur = cursor()
st.title(t("kpis.title"))
readonly = auth.read_only(access.PLANS)
st.caption(t("kpis.intro"))
show_done()
MEASURE = {m: t(f"kpis.measure_{m}") for m in kpis.MEASURES}
DIRECTION = {d: t(f"kpis.direction_{d}") for d in kpis.DIRECTIONS}
UNIT = {u: t(f"kpis.unit_{u}") for u in kpis.ENTERED_UNITS}


def _v(v, unit: str) -> str:
    return fmt.value(v, kpis.KIND[unit], lang)


defs = query(kpis.definitions)
quarters = query(kpis.loaded_quarters, 12)
areas = dict(query(kpis.areas))

# ------------------------------------------------------------ the KPI table of a quarter
if defs.empty:
    st.info(t("kpis.none"), icon=":material/info:")
else:
    c1, c2 = st.columns([1, 2])
    quarter = c1.selectbox(t("kpi.col_quarter"), list(reversed(quarters)), key="kpis_quarter") if quarters else None
    used = sorted(set(defs.category_id), key=lambda c: list(areas).index(c) if c in areas else len(areas))
    area = c2.selectbox(t("sav.col_area"), [None] + used, key="kpis_area",
                        format_func=lambda c: t("kpis.all_areas") if c is None else areas.get(c, str(c)))
    kt = query(kpis.table, None, quarter)
    if area is not None:
        kt = kt[kt.kpi_id.isin(defs[defs.category_id == area].kpi_id)]
    counts = kt.status.value_counts()
    kpi_row([(t("kpis.count"), fmt.number(len(kt), lang), None),
             (t("kpi.status_met"), fmt.number(int(counts.get("met", 0)), lang), None),
             (t("kpi.status_near"), fmt.number(int(counts.get("near", 0)), lang), None),
             (t("kpi.status_missed"), fmt.number(int(counts.get("missed", 0)), lang), None)])
    st.caption(t("kpis.rule", near=fmt.percent(kpis.NEAR, lang, 0)))
    show_kpis(kt, lang)

# only the open tab runs (and is drawn)
tab_trend, tab_enter, tab_define = lazy_tabs([t("kpis.tab_trend"), t("kpis.tab_enter"), t("kpis.tab_define")],
                                             state.KPI_TAB)


def _label(kid) -> str:
    r = defs[defs.kpi_id == kid].iloc[0]
    return f"{r['area']} · {r['name']}"


# ------------------------------------------------------------ one KPI over the quarters
if tab_trend.open:
    with tab_trend:
        if defs.empty:
            st.caption(t("kpis.none_short"))
        else:
            kid = st.selectbox(t("kpi.col_name"), list(defs.kpi_id), format_func=_label, key="kpis_trend_pick")
            k = defs[defs.kpi_id == kid].iloc[0]
            h = query(kpis.history, int(kid), 8)
            if h.empty:
                st.caption(t("kpis.no_quarters"))
            else:
                labels = [_v(v, k["unit"]) for v in h.value]
                show_chart(kpi_trend(h, share=k["unit"] == "share", labels=labels, value_name=t("kpi.col_value"),
                                     target_name=t("kpi.col_target"), title=f"{k['name']} ({DIRECTION[k['direction']].lower()})"))
                show_table(pd.DataFrame({"quarter": h.quarter, "value": labels, "target": [_v(v, k["unit"]) for v in h.target],
                                         "status": [kpi_status(s) for s in h.status],
                                         "comment": [c if isinstance(c, str) else "" for c in h.comment]}),
                           hide_index=True, width="stretch", column_config={
                               "quarter": t("kpi.col_quarter"), "value": t("kpi.col_value"), "target": t("kpi.col_target"),
                               "status": t("kpi.col_status"), "comment": t("plan.col_note")})

# ------------------------------------------------------------ entering the entered ones
if tab_enter.open:
    with tab_enter:
        entered = defs[defs.measure == "entered"]
        if entered.empty:
            st.caption(t("kpis.none_entered"))
        elif not quarters:
            st.caption(t("kpis.no_quarters"))
        else:
            with st.form("kpis_enter_form"):
                c1, c2 = st.columns([2, 1])
                kid = c1.selectbox(t("kpi.col_name"), list(entered.kpi_id), format_func=_label, key="kpis_enter_pick")
                q = c2.selectbox(t("kpi.col_quarter"), list(reversed(quarters)), key="kpis_enter_quarter")
                c3, c4 = st.columns([1, 2])
                value = c3.number_input(t("kpis.value_input"), value=None, step=1.0, key="kpis_enter_value",
                                        help=t("kpis.value_help"))
                comment = c4.text_input(t("plan.col_note"), key="kpis_enter_comment", placeholder=t("kpis.comment_ph"))
                if st.form_submit_button(t("kpis.enter"), type="primary", disabled=readonly):
                    unit = entered[entered.kpi_id == kid].iloc[0]["unit"]
                    if value is None:
                        st.error(t("kpis.value_missing"), icon=":material/error:")
                    else:
                        stored = value / 100 if unit == "share" else value
                        run_edit(lambda: kpis.enter(cur, int(kid), q, stored, comment),
                                 t("kpis.entered", name=_label(kid), quarter=q, value=_v(stored, unit)))

# ------------------------------------------------------------ defining, changing, retiring
if tab_define.open:
    with tab_define:
        if not areas:
            st.caption(t("kpis.no_areas"))
        else:
            pick = st.selectbox(t("kpis.define_pick"), [None] + list(defs.kpi_id), key="kpis_define_pick",
                                format_func=lambda k: t("kpis.new") if k is None else _label(k))
            old = defs[defs.kpi_id == pick].iloc[0].to_dict() if pick is not None else {}
            tag = pick or "new"
            c1, c2 = st.columns(2)
            ids = list(areas)
            cat = c1.selectbox(t("sav.col_area"), ids, format_func=areas.get, key=f"kpis_def_area_{tag}",
                               index=ids.index(old["category_id"]) if old.get("category_id") in areas else 0)
            name = c2.text_input(t("kpi.col_name"), old.get("name", ""), key=f"kpis_def_name_{tag}",
                                 placeholder=t("kpis.name_ph"))
            c3, c4, c5 = st.columns(3)
            measure = c3.selectbox(t("kpis.col_measure"), list(kpis.MEASURES), format_func=MEASURE.get,
                                   key=f"kpis_def_measure_{tag}",
                                   index=list(kpis.MEASURES).index(old["measure"]) if old else 0)
            direction = c4.selectbox(t("kpis.col_direction"), list(kpis.DIRECTIONS), format_func=DIRECTION.get,
                                     key=f"kpis_def_direction_{tag}",
                                     index=list(kpis.DIRECTIONS).index(old["direction"]) if old else 0)
            if measure == "entered":
                unit = c5.selectbox(t("kpis.col_unit"), list(kpis.ENTERED_UNITS), format_func=UNIT.get,
                                    key=f"kpis_def_unit_{tag}",
                                    index=list(kpis.ENTERED_UNITS).index(old["unit"]) if old.get("unit") in UNIT else 0)
            else:
                unit = kpis.UNITS[measure]
                c5.text_input(t("kpis.col_unit"), UNIT[unit], disabled=True, key=f"kpis_def_unit_shown_{tag}_{measure}")
            share = unit == "share"
            target_old = old.get("target")
            target_old = None if target_old is None or target_old != target_old else float(target_old) * (100 if share else 1)
            target = st.number_input(t("kpis.target_pct") if share else t("kpi.col_target"), value=target_old,
                                     min_value=0.0 if share else None, max_value=100.0 if share else None, step=1.0,
                                     key=f"kpis_def_target_{tag}_{share}", help=t("kpis.target_help"))
            st.caption(t(f"kpis.about_{measure}"))
            b1, b2 = st.columns([1, 3])
            if b1.button(t("kpis.save") if pick is None else t("kpis.save_changes"), type="primary", disabled=readonly,
                         key=f"kpis_def_save_{tag}"):
                run_edit(lambda: kpis.define(cur, int(cat), name, measure, None if target is None else
                                             (target / 100 if share else target), direction, unit, kpi_id=pick),
                         t("kpis.saved", name=name.strip()))
            if pick is not None and not readonly:
                with b2.popover(t("kpis.retire"), icon=":material/archive:"):
                    st.caption(t("kpis.retire_help"))
                    if st.button(t("kpis.retire_confirm"), key=f"kpis_retire_{tag}"):
                        run_edit(lambda: kpis.retire(cur, int(pick)), t("kpis.retired", name=old["name"]))

"""Spendkub: where the money goes. KPIs, pivot with drill-down, trend, Pareto/ABC and the lines."""

import datetime as dt

import streamlit as st

from analytics import cube
from analytics.constants import EXCLUDED
from analytics.export import Sheet, csv_bytes, xlsx_bytes
from analytics.ledger import has_data
from ui import cubelink, state, urlstate
from ui import format as fmt
from ui.cache import query
from ui.charts import cube as charts
from ui.cubelink import CubeState
from ui.db import cursor, deferred
from ui.format import md_escape
from ui.i18n import current_lang, t
from ui.tables import show_table
from ui.widgets import empty_state, kpi_row, lazy_tabs, show_chart, spend_scope_caption

st.title(t("cube.title"))
cur = cursor()
if not has_data(cur):
    empty_state(st.session_state[state.PAGES]["upload"])
    st.stop()

lang = current_lang()
opts = query(cube.filter_options)
cat_names = dict(opts["categories"])
cat_names[0] = t("cube.unclassified")
cat_names[EXCLUDED] = t("cube.excluded")
acct_names = dict(opts["accounts"])
sup_names = dict(opts["suppliers"])

# ------------------------------------------------------------ view state (URL on first run)
K = state.CUBE
DEFAULTS = CubeState()
link, ignored = cubelink.decode(urlstate.page_params(), categories=cat_names, suppliers=sup_names, accounts=acct_names)
for name, key in K.items():                 # a shared link applies on the session's first run
    if name in link:
        value = link[name]
        st.session_state[key] = list(value) if isinstance(value, tuple) else value
    elif key not in st.session_state:
        default = getattr(DEFAULTS, name)
        st.session_state[key] = list(default) if isinstance(default, tuple) else default
if ignored:
    st.warning(t("cube.link_ignored", values=", ".join(md_escape(v[:60]) for v in ignored[:5])),
               icon=":material/link_off:")

DIM_LABEL = {d: t(f"dim.{d}") for d in cube.DIMENSIONS}
MEASURE_LABEL = {m: t(f"measure.{m}") for m in cube.MEASURES}

# ------------------------------------------------------------ page filters
with st.expander(t("cube.filters"), expanded=bool(st.session_state[K["cat"]] or st.session_state[K["sup"]]
                                                    or st.session_state[K["acct"]] or st.session_state[K["amin"]] is not None
                                                    or st.session_state[K["amax"]] is not None
                                                    or st.session_state[K["credit"]] != "all")):
    c1, c2, c3 = st.columns(3)
    c1.multiselect(t("cube.filter_categories"), list(cat_names), key=K["cat"], format_func=lambda c: cat_names.get(c, str(c)),
                   placeholder=t("cube.all"))
    c2.multiselect(t("cube.filter_suppliers"), list(sup_names), key=K["sup"], format_func=lambda s: sup_names.get(s, s),
                   placeholder=t("cube.all"))
    c3.multiselect(t("cube.filter_accounts"), list(acct_names), key=K["acct"], format_func=lambda a: acct_names.get(a, a),
                   placeholder=t("cube.all"))
    c4, c5, c6 = st.columns(3)
    c4.number_input(t("cube.amount_min"), key=K["amin"], value=None, step=1000.0, format="%.0f",
                    help=t("cube.amount_help"))
    c5.number_input(t("cube.amount_max"), key=K["amax"], value=None, step=1000.0, format="%.0f")
    c6.selectbox(t("cube.credit"), cube.CREDIT_CHOICES, key=K["credit"], format_func=lambda c: t(f"cube.credit_{c}"))
    if (st.session_state[K["amin"]] is not None and st.session_state[K["amax"]] is not None
            and st.session_state[K["amin"]] > st.session_state[K["amax"]]):
        st.error(t("cube.amount_range_error"))
        st.stop()

base = cube.view_from_filters(
    st.session_state.get(state.FILTERS),
    categories=tuple(st.session_state[K["cat"]]), suppliers=tuple(st.session_state[K["sup"]]),
    accounts=tuple(st.session_state[K["acct"]]), amount_min=st.session_state[K["amin"]],
    amount_max=st.session_state[K["amax"]], credit=st.session_state[K["credit"]])
drill = [tuple(d) for d in st.session_state[K["drill"]]]
view = base.replace(drill=tuple(drill))

# ------------------------------------------------------------ KPIs
exact = bool(st.session_state[K["exact"]])
k = query(cube.kpis, view, exact)
change = fmt.percent(k["change"], lang) if k["change"] is not None else "–"
if k["change"] is not None and k["change"] > 0:
    change = "+" + change
kpi_row([
    (t("kpi.spend"), fmt.msek(k["spend"], lang), t("kpi.spend_help")),
    (t("kpi.lines"), fmt.number(k["lines"], lang), None),
    (t("kpi.suppliers"), ("≈ " if k["suppliers_approx"] else "") + fmt.number(k["suppliers"], lang),
     t("cube.approx_help") if k["suppliers_approx"] else None),
    (t("kpi.org_units"), fmt.number(k["org_units"], lang), None),
    (t("cube.kpi_change"), change, t("cube.kpi_change_help") if k["prev_complete"] else t("cube.kpi_change_missing")),
])
spend_scope_caption(k, lang)
st.caption(t("cube.coverage", classified=fmt.percent(k["classified_share"], lang),
             valid=fmt.percent(k["valid_org_share"], lang), credit=fmt.number(k["credit_notes"], lang)))
if k["lines"] == 0:
    st.warning(t("overview.no_lines_in_filter"))

# ------------------------------------------------------------ drill path


def _key_label(dim: str, key) -> str:
    if dim.startswith("category_"):
        return cat_names.get(key, t("cube.unclassified")) if key is not None else t("cube.unclassified")
    if dim == "supplier":
        return sup_names.get(key, str(key))
    if dim == "account":
        return acct_names.get(key, str(key))
    if dim == "legal_form":
        return t(f"legal.{key}") if key else t("cube.blank")
    if dim == "contract_status":
        return t("cube.on_contract") if key == "on" else t("cube.off_contract")
    if dim == "contract" and key is None:
        return t("cube.off_contract")
    return t("cube.blank") if key is None else str(key)




def _go_to(level: int) -> None:
    """Breadcrumb: keep the first ``level`` drill steps (0 = back to the top)."""
    st.session_state[K["drill"]] = drill[:level]
    dim = drill[level - 1][0] if level else drill[0][0]
    st.session_state[K["rows"]] = (cube.DRILL_NEXT[dim] if level and cube.DRILL_NEXT[dim] != "lines" else dim)
    st.session_state[state.CUBE_PICK_ROW] = 0
    st.session_state[state.CUBE_TAB] = t("cube.tab_pivot")          # the breadcrumb leads back to the pivot


if drill:
    crumbs = st.columns(min(len(drill) + 1, 6))
    crumbs[0].button(t("cube.drill_top"), key="crumb_top", icon=":material/home:", on_click=_go_to, args=(0,))
    for i, (dim, key) in enumerate(drill[:5]):
        crumbs[i + 1].button(f"{DIM_LABEL[dim]}: {_key_label(dim, key)}", key=f"crumb_{i}",
                             disabled=i == len(drill) - 1, on_click=_go_to, args=(i + 1,))

# Only the open tab runs (and is drawn): the first page answers without the trend, Pareto and
# line queries and charts; "Visa fakturarader" opens the lines tab.
TAB_LABELS = [t("cube.tab_pivot"), t("cube.tab_trend"), t("cube.tab_pareto"), t("cube.tab_lines")]
tab_pivot, tab_trend, tab_pareto, tab_lines = lazy_tabs(TAB_LABELS, state.CUBE_TAB)


def _wide_labels() -> dict:
    return dict(unclassified=t("cube.unclassified"), others=t("cube.others"), total=t("cube.total"),
                blank=t("cube.blank"))


def _in_words(p: cube.Pivot) -> cube.Pivot:
    """Legal-form codes, contract status and the excluded-spend node -> words in the user's language (the core
    keeps codes)."""
    for side in ("r", "c"):
        dim = p.rows if side == "r" else p.cols
        if dim and dim.startswith("category_"):
            p = p.relabel(side, {EXCLUDED: t("cube.excluded")})
        if dim == "legal_form":
            p = p.relabel(side, {code: t(f"legal.{code}") for code in set(p.data[f"{side}_key"].dropna())})
        if dim == "contract_status":
            p = p.relabel(side, {"on": t("cube.on_contract"), "off": t("cube.off_contract")})
        if dim == "contract":
            p = p.relabel(side, {}, none=t("cube.off_contract"))
    return p


def _display(table, p: cube.Pivot, measure: str):
    """Column names in the user's language and column configs for st.dataframe."""
    first = table.columns[0]
    table = table.rename(columns={first: DIM_LABEL[p.rows]})
    cfg = {}
    if p.cols is None:
        names = {m: MEASURE_LABEL[m] for m in ("spend", "lines", "suppliers", "share")}
        if p.approx:
            names["suppliers"] = "≈ " + names["suppliers"]
        table = table.rename(columns=names)
        if not st.session_state[K["sup_count"]]:
            table = table.drop(columns=[names["suppliers"]])
        cfg[names["spend"]] = st.column_config.NumberColumn(format="localized")
        cfg[names["lines"]] = st.column_config.NumberColumn(format="localized")
        cfg[names["share"]] = st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0)
        if names["suppliers"] in table:
            cfg[names["suppliers"]] = st.column_config.NumberColumn(format="localized")
    else:
        for c in table.columns[1:]:
            cfg[c] = st.column_config.NumberColumn(format="percent" if measure == "share" else "localized")
    return table, cfg


def _kinds(table, p: cube.Pivot, measure: str) -> dict:
    if p.cols is None:
        return {MEASURE_LABEL["spend"]: "money", MEASURE_LABEL["lines"]: "int", MEASURE_LABEL["suppliers"]: "int",
                MEASURE_LABEL["share"]: "share"}
    kind = {"spend": "money", "lines": "int", "suppliers": "int", "share": "share"}[measure]
    return {c: kind for c in table.columns[1:]}


def _filter_notes() -> list[str]:
    notes = [t("cube.export_period", lo=fmt.date(view.period_from, lang), hi=fmt.date(view.period_to, lang))]
    if view.units:
        notes.append(t("cube.export_units", units=", ".join(view.units)))
    if view.categories:
        notes.append(t("cube.export_categories", items=", ".join(cat_names.get(c, str(c)) for c in view.categories)))
    if view.suppliers:
        notes.append(t("cube.export_suppliers", items=", ".join(sup_names.get(s, s) for s in view.suppliers)))
    if view.accounts:
        notes.append(t("cube.export_accounts", items=", ".join(view.accounts)))
    if view.amount_min is not None or view.amount_max is not None:
        notes.append(t("cube.export_amount", lo=fmt.number(view.amount_min, lang), hi=fmt.number(view.amount_max, lang)))
    if view.credit != "all":
        notes.append(t(f"cube.credit_{view.credit}"))
    for dim, key in view.drill:
        notes.append(f"{DIM_LABEL[dim]}: {_key_label(dim, key)}")
    notes.append(t("cube.coverage", classified=fmt.percent(k["classified_share"], lang),
                   valid=fmt.percent(k["valid_org_share"], lang), credit=fmt.number(k["credit_notes"], lang)))
    return notes


# ------------------------------------------------------------ pivot
if tab_pivot.open:
    with tab_pivot:
        c1, c2, c3, c4, c5 = st.columns([2, 2, 2, 1, 2])
        c1.selectbox(t("cube.rows"), cube.DIMENSIONS, key=K["rows"], format_func=DIM_LABEL.get)
        col_choices = ("",) + tuple(d for d in cube.DIMENSIONS if d != st.session_state[K["rows"]])
        if st.session_state[K["cols"]] not in col_choices:
            st.session_state[K["cols"]] = ""
        c2.selectbox(t("cube.cols"), col_choices, key=K["cols"], format_func=lambda d: DIM_LABEL.get(d, t("cube.no_cols")))
        c3.selectbox(t("cube.measure"), cube.MEASURES, key=K["measure"], format_func=MEASURE_LABEL.get,
                     disabled=not st.session_state[K["cols"]], help=t("cube.measure_help"))
        c4.number_input(t("cube.top"), min_value=1, max_value=500, step=5, key=K["top"], help=t("cube.top_help"))
        c5.selectbox(t("cube.sort"), cube.MEASURES + ("label",), key=K["sort"],
                     format_func=lambda m: MEASURE_LABEL.get(m, t("cube.sort_label")))
        c6, c7, c8 = st.columns(3)
        c6.toggle(t("cube.ascending"), key=K["asc"])
        c7.toggle(t("cube.count_suppliers"), key=K["sup_count"], help=t("cube.count_suppliers_help"))
        c8.toggle(t("cube.exact"), key=K["exact"], help=t("cube.exact_help"))

        rows, cols = st.session_state[K["rows"]], st.session_state[K["cols"]] or None
        measure = st.session_state[K["measure"]] if cols else "spend"
        with_sup = (measure == "suppliers") if cols else bool(st.session_state[K["sup_count"]])
        p = _in_words(query(cube.pivot, view, rows, cols, int(st.session_state[K["top"]]), 12, with_sup, exact))
        table = cube.wide(p, measure, st.session_state[K["sort"]] if not cols or st.session_state[K["sort"]] in ("label", measure)
                          else measure, bool(st.session_state[K["asc"]]), **_wide_labels())
        # whole kronor on screen (exports keep öre)
        rounded = table.round({"spend": 0} if not cols else ({c: 0 for c in table.columns[1:]} if measure == "spend" else {}))
        shown, cfg = _display(rounded, p, measure)
        event = show_table(shown, hide_index=True, width="stretch", column_config=cfg, key="cube_table",
                             on_select="rerun", selection_mode="single-cell")
        st.caption(t("cube.pivot_hint") + (" " + t("cube.approx_note") if p.approx else ""))

        body = p.body()
        pick_keys = [(key, lab) for key, lab, other in zip(body.r_key, body.r_label, body.r_other) if not other]
        pick_map = {i: pair for i, pair in enumerate(pick_keys)}
        cells = event.selection.get("cells", []) if event else []
        if cells:
            r_idx, _col = cells[0]
            if r_idx in pick_map and st.session_state.get(state.CUBE_PICK_FROM_TABLE) != (r_idx, _col):
                st.session_state[state.CUBE_PICK_FROM_TABLE] = (r_idx, _col)
                st.session_state[state.CUBE_PICK_ROW] = r_idx
                col_lookup = {(t("cube.unclassified") if lab is None else lab): key
                              for key, lab in zip(p.data[p.data.kind == "col"].c_key, p.data[p.data.kind == "col"].c_label)}
                st.session_state[state.CUBE_PICK_COL] = _col if cols and _col in col_lookup else ""
        if st.session_state.get(state.CUBE_PICK_ROW) not in pick_map:
            st.session_state[state.CUBE_PICK_ROW] = 0 if pick_map else None
        d1, d2, d3, d4 = st.columns([3, 3, 2, 2])
        d1.selectbox(t("cube.pick_row"), list(pick_map), key=state.CUBE_PICK_ROW,
                     format_func=lambda i: pick_map[i][1] if pick_map[i][1] is not None else (
                         t("cube.unclassified") if rows.startswith("category_") else t("cube.blank")))
        col_keys = {}
        if cols:
            colt = p.data[(p.data.kind == "col") & ~p.data.c_other]
            col_keys = {(lab if lab is not None else t("cube.unclassified")): key for key, lab in zip(colt.c_key, colt.c_label)}
            if st.session_state.get(state.CUBE_PICK_COL) not in col_keys:
                st.session_state[state.CUBE_PICK_COL] = ""
            d2.selectbox(t("cube.pick_col"), [""] + list(col_keys), key=state.CUBE_PICK_COL,
                         format_func=lambda c: t("cube.all_cols") if c == "" else c)
        nxt = cube.DRILL_NEXT[rows]

        def _drill_down(dim: str, key, next_dim: str) -> None:
            st.session_state[K["drill"]] = drill + [(dim, key)]
            st.session_state[K["rows"]] = next_dim
            st.session_state[state.CUBE_PICK_ROW] = 0
            st.session_state[state.CUBE_PICK_COL] = ""

        def _show_lines(cell: list) -> None:
            st.session_state[state.CUBE_LINES_CELL] = cell
            st.session_state[state.CUBE_LINES_PAGE] = 0
            st.session_state[state.CUBE_TAB] = TAB_LABELS[3]

        if pick_map and st.session_state[state.CUBE_PICK_ROW] is not None:
            picked_key = pick_map[st.session_state[state.CUBE_PICK_ROW]][0]
            if nxt != "lines":
                d3.button(t("cube.drill_down", dim=DIM_LABEL[nxt]), icon=":material/zoom_in:", key="cube_drill_btn",
                          on_click=_drill_down, args=(rows, picked_key, nxt))
            cell = [(rows, picked_key)]
            if cols and st.session_state.get(state.CUBE_PICK_COL):
                cell.append((cols, col_keys[st.session_state[state.CUBE_PICK_COL]]))
            d4.button(t("cube.show_lines"), icon=":material/receipt_long:", key="cube_lines_btn",
                      on_click=_show_lines, args=(cell,))

        # The chart repeats the table's figures: folded away (and not even computed) until opened,
        # so the page's first answer does not wait for Plotly; presentation mode always shows it.
        def _pivot_chart() -> None:
            show_chart(charts.pivot_bars(p, "MSEK", title=t("cube.chart_title", dim=DIM_LABEL[rows]),
                                         others=t("cube.others"), blank=t("cube.unclassified")),
                       width="stretch", key="cube_pivot_chart")
        if st.session_state.get(state.PRESENT):
            _pivot_chart()
        else:
            chart_box = st.expander(t("cube.chart_title", dim=DIM_LABEL[rows]), icon=":material/bar_chart:",
                                    key="cube_chart_open", on_change="rerun")
            with chart_box:
                if chart_box.open:
                    _pivot_chart()

        export_table = table.rename(columns={table.columns[0]: DIM_LABEL[rows]})
        if cols is None:
            export_table = export_table.rename(columns={m: MEASURE_LABEL[m] for m in ("spend", "lines", "suppliers", "share")})
            if not with_sup:
                export_table = export_table.drop(columns=[MEASURE_LABEL["suppliers"]])
        title = t("cube.export_title", dim=DIM_LABEL[rows]) + (f" × {DIM_LABEL[cols]}" if cols else "") + \
            (f" ({MEASURE_LABEL[measure]})" if cols else "")
        kinds = _kinds(export_table, p, measure)
        stamp = dt.date.today().isoformat()
        notes = _filter_notes() + ([t("cube.approx_note")] if p.approx else [])
        sheet = Sheet(t("cube.tab_pivot"), export_table, kinds, title, notes, total_last_row=True)
        e1, e2 = st.columns(2)
        # built when clicked (own thread, no streamlit calls inside), not on every rerun
        e1.download_button(t("cube.export_xlsx"), data=lambda sh=sheet: xlsx_bytes([sh]),
                           file_name=f"spendkub_{rows}{'_' + cols if cols else ''}_{stamp}.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           icon=":material/table_view:", key="cube_xlsx")
        e2.download_button(t("cube.export_csv"), data=lambda tb=export_table, lg=lang, kd=kinds: csv_bytes(tb, lg, kd),
                           file_name=f"spendkub_{rows}{'_' + cols if cols else ''}_{stamp}.csv", mime="text/csv",
                           icon=":material/download:", key="cube_csv")

# ------------------------------------------------------------ trend
if tab_trend.open:
    with tab_trend:
        st.selectbox(t("cube.stack_by"), ("",) + cube.DIMENSIONS, key=K["by"],
                     format_func=lambda d: DIM_LABEL.get(d, t("cube.no_stack")))
        tp = _in_words(query(cube.trend, view, st.session_state[K["by"]] or None))
        show_chart(charts.trend_stacked(tp, "MSEK", title=t("cube.trend_title"), others=t("cube.others"),
                                             blank=t("cube.unclassified")), width="stretch", key="cube_trend_chart")
        yoy = query(cube.year_over_year, view)
        show_chart(charts.yoy_bars(yoy, "MSEK", title=t("cube.yoy_title")), width="stretch", key="cube_yoy_chart")
        st.caption(t("cube.yoy_note"))

# ------------------------------------------------------------ Pareto / ABC
if tab_pareto.open:
    with tab_pareto:
        st.number_input(t("cube.tail_threshold"), min_value=0.0, step=10_000.0, format="%.0f", key=K["tail"],
                        help=t("cube.tail_help"))
        tail = float(st.session_state[K["tail"]])
        pr = query(cube.pareto, view, tail)
        kpi_row([
            (t("cube.pareto_suppliers"), fmt.number(pr["suppliers"], lang), None),
            (t("cube.pareto_80"), fmt.percent(pr["share80"], lang), t("cube.pareto_80_help", n=fmt.number(pr["n80"], lang))),
            (t("cube.pareto_95"), fmt.percent(pr["share95"], lang), t("cube.pareto_95_help", n=fmt.number(pr["n95"], lang))),
            (t("cube.tail_suppliers"), fmt.number(pr["tail"]["suppliers"], lang),
             t("cube.tail_suppliers_help", share=fmt.percent(pr["tail"]["supplier_share"], lang))),
            (t("cube.tail_spend"), fmt.msek(pr["tail"]["spend"], lang),
             t("cube.tail_spend_help", share=fmt.percent(pr["tail"]["spend_share"], lang))),
        ])
        left, right = st.columns([3, 2])
        show_chart(where=left, fig=charts.pareto_curve(pr["curve"], title=t("cube.pareto_title"), x_title=t("cube.pareto_x"),
                                              y_title=t("cube.pareto_y")), width="stretch", key="cube_pareto_chart")
        abc = pr["abc"].rename(columns={"abc": t("cube.abc_class"), "suppliers": MEASURE_LABEL["suppliers"],
                                        "spend": MEASURE_LABEL["spend"]})
        with right:
            show_table(abc, hide_index=True, width="stretch",
                       column_config={MEASURE_LABEL["spend"]: st.column_config.NumberColumn(format="localized")})
        right.caption(t("cube.abc_rule"))
        head = cube.label_suppliers(cur, pr["table"].head(200))     # the cached Pareto, named
        head = head[["rank", "supplier", "spend", "lines", "cum_share", "abc"]].rename(columns={
            "rank": t("cube.rank"), "supplier": t("col.supplier"), "spend": MEASURE_LABEL["spend"],
            "lines": MEASURE_LABEL["lines"], "cum_share": t("cube.cum_share"), "abc": t("cube.abc_class")})
        show_table(head, hide_index=True, width="stretch", height=300, column_config={
            MEASURE_LABEL["spend"]: st.column_config.NumberColumn(format="localized"),
            t("cube.cum_share"): st.column_config.NumberColumn(format="percent")})
        st.subheader(t("cube.fragmentation"))
        st.radio(t("cube.frag_level"), (1, 2, 3), key=K["frag"], horizontal=True, format_func=lambda lv: t(f"dim.category_l{lv}"))
        fr = query(cube.fragmentation, view, int(st.session_state[K["frag"]]), tail)
        fr = fr.assign(category=[c if c is not None else t("cube.unclassified") for c in fr.category])
        fr_shown = fr.drop(columns=["key"]).rename(columns={
            "category": t("col.category"), "spend": MEASURE_LABEL["spend"], "suppliers": MEASURE_LABEL["suppliers"],
            "spend_per_supplier": t("cube.per_supplier"), "top_share": t("cube.top_share"),
            "tail_suppliers": t("cube.tail_suppliers")})
        show_table(fr_shown, hide_index=True, width="stretch", column_config={
            MEASURE_LABEL["spend"]: st.column_config.NumberColumn(format="localized"),
            t("cube.per_supplier"): st.column_config.NumberColumn(format="localized"),
            t("cube.top_share"): st.column_config.NumberColumn(format="percent")})
        abc_cols = [t("cube.rank"), t("col.supplier"), MEASURE_LABEL["spend"], MEASURE_LABEL["lines"],
                    t("cube.cum_share"), t("cube.abc_class")]
        abc_kinds = {MEASURE_LABEL["spend"]: "money", MEASURE_LABEL["lines"]: "int", t("cube.cum_share"): "share"}
        frag_kinds = {MEASURE_LABEL["spend"]: "money", MEASURE_LABEL["suppliers"]: "int", t("cube.per_supplier"): "money",
                      t("cube.top_share"): "share", t("cube.tail_suppliers"): "int"}
        abc_texts = (t("cube.abc_sheet"), t("cube.pareto_title"), _filter_notes(), t("cube.fragmentation"))

        def _abc_workbook(c, table=pr["table"], frag=fr_shown) -> bytes:
            labelled = cube.label_suppliers(c, table)[["rank", "supplier", "spend", "lines", "cum_share", "abc"]]
            labelled.columns = abc_cols
            return xlsx_bytes([Sheet(abc_texts[0], labelled, abc_kinds, abc_texts[1], abc_texts[2]),
                               Sheet(abc_texts[3], frag, frag_kinds, abc_texts[3])])

        st.download_button(t("cube.export_abc"), data=deferred(_abc_workbook),
                           file_name=f"spendkub_abc_{dt.date.today().isoformat()}.xlsx", icon=":material/table_view:",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="cube_abc_xlsx")

# ------------------------------------------------------------ lines
if tab_lines.open:
    with tab_lines:
        cell = [tuple(c) for c in st.session_state.get(state.CUBE_LINES_CELL, [])]
        lview = view.replace(drill=view.drill + tuple(cell))
        scope = [f"{DIM_LABEL[d]}: {_key_label(d, key)}" for d, key in lview.drill]
        st.caption(t("cube.lines_scope", scope="; ".join(scope) if scope else t("cube.lines_all")))
        if cell and st.button(t("cube.lines_clear"), key="cube_lines_clear"):
            st.session_state[state.CUBE_LINES_CELL] = []
            st.rerun()
        o1, o2 = st.columns(2)
        order = o1.selectbox(t("cube.lines_order"), ("amount_desc", "amount_asc", "date_desc", "date_asc"),
                             format_func=lambda o: t(f"cube.order_{o}"), key="cube_lines_order")
        page_size = 50
        page = int(st.session_state.get(state.CUBE_LINES_PAGE, 0))
        df, n, total = query(cube.lines, lview, page, page_size, order)
        pages = max(1, -(-n // page_size))
        if page >= pages:
            page = st.session_state[state.CUBE_LINES_PAGE] = pages - 1
            df, n, total = query(cube.lines, lview, page, page_size, order)
        o2.markdown(t("cube.lines_count", n=fmt.number(n, lang), total=fmt.money(total, lang, decimals=2),
                      page=page + 1, pages=pages))
        shown = df.rename(columns={c: t(f"col.{c}") for c in df.columns})
        show_table(shown, hide_index=True, width="stretch", decimals={t("col.amount"): 2}, column_config={
            t("col.amount"): st.column_config.NumberColumn(format="localized")})
        b1, b2, b3 = st.columns([1, 1, 4])
        if b1.button(t("cube.prev_page"), disabled=page == 0, key="cube_prev"):
            st.session_state[state.CUBE_LINES_PAGE] = page - 1
            st.rerun()
        if b2.button(t("cube.next_page"), disabled=page >= pages - 1, key="cube_next"):
            st.session_state[state.CUBE_LINES_PAGE] = page + 1
            st.rerun()
        if n <= 100_000:
            line_names = {c: t(f"col.{c}") for c in cube.LINE_COLUMNS}
            line_kinds = {t("col.amount"): "decimal", t("col.booking_date"): "date", t("col.period_month"): "date",
                          t("col.source_row"): "int"}
            line_title, line_notes = t("cube.tab_lines"), _filter_notes() + scope

            def _lines_workbook(c, v=lview, o=order) -> bytes:
                # runs when the button is clicked, after the run: its own lease (ui.db.deferred)
                all_df, _, _ = cube.lines(c, v, page=0, page_size=100_000, order=o)
                return xlsx_bytes([Sheet(line_title, all_df.rename(columns=line_names), line_kinds, line_title, line_notes)])

            b3.download_button(t("cube.export_lines"), data=deferred(_lines_workbook),
                               file_name=f"spendkub_rader_{dt.date.today().isoformat()}.xlsx", icon=":material/table_view:",
                               mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="cube_lines_xlsx")
        else:
            b3.caption(t("cube.lines_too_many"))

# ------------------------------------------------------------ the view in the URL
urlstate.write(cubelink.encode(cubelink.from_values({name: st.session_state[key] for name, key in K.items()}), DEFAULTS))

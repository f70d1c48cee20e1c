"""Avtal: the contract register (avtalskatalog) and avtalstrohet: the share of spend bought under
a contract with its coverage, the spend outside contracts, ceilings (takvolym) and the contracts
ending next; the register edited in the app, imported from a file with a column mapping, exported."""

import pandas as pd
import streamlit as st

from analytics import access
from analytics import contracts as ct
from analytics.constants import EXCLUDED
from analytics.errors import ContractError, SpendkollenError
from analytics.tree import nodes as tree_nodes
from ui import auth, state
from ui import format as fmt
from ui.cache import query
from ui.charts.contracts import compliance_bars
from ui.db import cursor
from ui.i18n import current_lang, error_text, t
from ui.tables import dates, show_table
from ui.widgets import file_uploader, kpi_row, lazy_tabs, run_edit, show_chart, show_done

lang = current_lang()
cur = cursor()
st.title(t("ctr.title"))
readonly = auth.read_only(access.CONTRACTS)
st.caption(t("ctr.intro"))
show_done()
KIND = {k: t(f"ctr.kind_{k}") for k in ct.KINDS}
BY = {b: t(f"ctr.by_{b}") for b in ct.BY}
FIELD = {f: t(f"ctr.field_{f}") for f in ct.FIELDS}
filters = st.session_state.get(state.FILTERS)
period = (filters.period_from, filters.period_to, tuple(filters.units)) if filters else (None, None, ())



def refused(exc: ContractError) -> None:
    """A refused register (file or editor): the sentence, then every problem by row and column."""
    st.error(error_text(exc), icon=":material/error:")
    if exc.params.get("problems"):
        rows = [{"row": p["row"], "column": p["column"],
                 "message": t(f"cellp.{p['code']}", **p.get("params", {})) if p.get("code") else p["message"]}
                for p in exc.params["problems"]]
        show_table(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
            "row": t("ctr.col_row"), "column": t("ctr.col_column"), "message": t("ctr.col_problem")})


summary = query(ct.summary)
if summary["contracts"]:
    total = query(ct.compliance, None, *period)[0]
    kpi_row([
        (t("ctr.kpi_share"), fmt.percent(total["share"], lang), t("ctr.kpi_share_help")),
        (t("ctr.kpi_on"), fmt.msek(total["on_contract"], lang), None),
        (t("ctr.kpi_off"), fmt.msek(total["spend"] - total["on_contract"], lang), t("ctr.kpi_off_help")),
        (t("ctr.kpi_contracts"), fmt.number(summary["contracts"], lang),
         t("ctr.kpi_contracts_help", valid=summary["valid"], ending=summary["ending_12"])),
    ])
    st.caption(t("ctr.coverage", coverage=fmt.percent(total["coverage"], lang),
                 months=fmt.percent(total["months_share"], lang, 0)))
else:
    st.info(t("ctr.empty"), icon=":material/info:")

TABS = [t("ctr.tab_compliance"), t("ctr.tab_off"), t("ctr.tab_ceilings"), t("ctr.tab_renewals"),
        t("ctr.tab_register"), t("ctr.tab_import")]
# only the open tab runs (and is drawn)
tab_comp, tab_off, tab_ceil, tab_ren, tab_reg, tab_imp = lazy_tabs(TABS, state.CTR_TAB)

# ------------------------------------------------------------ avtalstrohet
if tab_comp.open:
    with tab_comp:
        if summary["contracts"]:
            by = st.segmented_control(t("ctr.by"), list(ct.BY), default="category_l1", format_func=BY.get, key="ctr_by") \
                or "category_l1"
            rows = query(ct.compliance, by, *period)[1:]
            df = pd.DataFrame(rows, columns=["key", "spend", "on_contract", "share", "coverage"])
            if by in ("category_l1", "category_l2"):
                df["key"] = [k or t("cube.unclassified") for k in df.key]
            elif by == "org_unit":
                df["key"] = [k or t("cube.blank") for k in df.key]
            show_chart(compliance_bars(df.head(15) if by != "quarter" else df.sort_values("key"), on=t("ctr.on"),
                                       off=t("ctr.off"), horizontal=by != "quarter",
                                       title=t("ctr.chart_title", by=BY[by].lower())), width="stretch", key="ctr_chart")
            show_table(df.assign(off=df.spend - df.on_contract)[["key", "spend", "on_contract", "off", "share", "coverage"]],
                       hide_index=True, width="stretch", column_config={
                           "key": BY[by], "spend": st.column_config.NumberColumn(t("ctr.col_spend"), format="localized"),
                           "on_contract": st.column_config.NumberColumn(t("ctr.on"), format="localized"),
                           "off": st.column_config.NumberColumn(t("ctr.off"), format="localized"),
                           "share": st.column_config.NumberColumn(t("ctr.col_share"), format="percent"),
                           "coverage": st.column_config.NumberColumn(t("ctr.col_coverage"), format="percent",
                                                                     help=t("ctr.col_coverage_help"))})
            st.caption(t("ctr.rule"))

# ------------------------------------------------------------ off contract
if tab_off.open:
    with tab_off:
        if summary["contracts"]:
            off = query(ct.off_contract, *period[:2], 200, period[2])
            st.caption(t("ctr.off_intro"))
            show_table(pd.DataFrame({"supplier": off.supplier, "org_no": off.org_no,
                                     "category": [c if isinstance(c, str) else t("cube.unclassified") for c in off.category],
                                     "spend": off.spend, "lines": off.lines,
                                     "contracts": [", ".join(c) for c in off.contracts]}),
                       hide_index=True, width="stretch", column_config={
                           "supplier": t("wl.col_supplier"), "org_no": t("wl.col_org_no"), "category": t("ctr.col_category"),
                           "spend": st.column_config.NumberColumn(t("ctr.col_spend"), format="localized"),
                           "lines": st.column_config.NumberColumn(t("ctr.col_lines"), format="localized"),
                           "contracts": st.column_config.TextColumn(t("ctr.col_hint"), help=t("ctr.col_hint_help"))})

# ------------------------------------------------------------ ceilings
if tab_ceil.open:
    with tab_ceil:
        ceil = query(ct.ceilings)
        if ceil.empty:
            st.caption(t("ctr.no_ceilings"))
        else:
            show_table(pd.DataFrame({
                "contract": ceil.contract_id + " " + ceil.name, "owner": ceil.owner, "ceiling": ceil.ceiling,
                "spend": ceil.spend, "used": ceil.used_share, "forecast": ceil.forecast, "last_day": dates(ceil.last_day),
                "warning": ["⚠ " + t("ctr.over_ceiling") if o else "" for o in ceil.over_ceiling]}),
                hide_index=True, width="stretch", column_config={
                    "contract": t("ctr.col_contract"), "owner": t("ctr.col_owner"),
                    "ceiling": st.column_config.NumberColumn(t("ctr.col_ceiling"), format="localized"),
                    "spend": st.column_config.NumberColumn(t("ctr.col_called_off"), format="localized"),
                    "used": st.column_config.NumberColumn(t("ctr.col_used"), format="percent"),
                    "forecast": st.column_config.NumberColumn(t("ctr.col_forecast"), format="localized",
                                                              help=t("ctr.col_forecast_help")),
                    "last_day": st.column_config.DateColumn(t("ctr.col_last_day")), "warning": t("ctr.col_warning")})

# ------------------------------------------------------------ renewals
if tab_ren.open:
    with tab_ren:
        ren = query(ct.renewals)
        if ren.empty:
            st.caption(t("ctr.no_renewals"))
        else:
            kpi_row([(t("ctr.within", months=h), fmt.number(int((ren.horizon == h).sum()), lang),
                      fmt.msek(float(ren[ren.horizon == h].yearly_spend.sum()), lang) + " " + t("ctr.per_year"))
                     for h in (6, 12, 18)])
            show_table(pd.DataFrame({"contract": ren.contract_id + " " + ren.name, "owner": ren.owner,
                                     "last_day": dates(ren.last_day), "options_left": ren.options_left,
                                     "yearly_spend": ren.yearly_spend, "horizon": [t("ctr.within", months=h) for h in ren.horizon]}),
                       hide_index=True, width="stretch", column_config={
                           "contract": t("ctr.col_contract"), "owner": t("ctr.col_owner"),
                           "last_day": st.column_config.DateColumn(t("ctr.col_last_day")),
                           "options_left": st.column_config.NumberColumn(t("ctr.col_options_left")),
                           "yearly_spend": st.column_config.NumberColumn(t("ctr.col_yearly"), format="localized"),
                           "horizon": t("ctr.col_horizon")})
            st.caption(t("ctr.renewals_caption"))

# ------------------------------------------------------------ the register
if tab_reg.open:
    with tab_reg:
        table = query(ct.editor_table)
        nodes = query(tree_nodes)
        paths = [p for p, c in zip(nodes.path, nodes.category_id) if c != EXCLUDED]
        st.caption(t("ctr.editor_intro"))
        labels = {f: FIELD.get(f, f) for f in ct.EDITOR_FIELDS}
        with st.form("ctr_editor"):
            edited = st.data_editor(
                table, key="ctr_table", num_rows="dynamic" if not readonly else "fixed", disabled=readonly,
                hide_index=True, width="stretch", placeholder="", column_config={
                    "contract_id": st.column_config.TextColumn(labels["contract_id"], required=True),
                    "name": st.column_config.TextColumn(labels["name"], required=True),
                    "kind": st.column_config.SelectboxColumn(labels["kind"], options=list(ct.KINDS), format_func=KIND.get),
                    "supplier_name": st.column_config.TextColumn(labels["supplier_name"], help=t("ctr.list_help")),
                    "org_no": st.column_config.TextColumn(labels["org_no"], help=t("ctr.list_help")),
                    "rank": st.column_config.TextColumn(labels["rank"], help=t("ctr.list_help")),
                    "categories": st.column_config.TextColumn(labels["categories"], help=t("ctr.categories_help")),
                    "start": st.column_config.DateColumn(labels["start"], required=True, format="YYYY-MM-DD"),
                    "end": st.column_config.DateColumn(labels["end"], format="YYYY-MM-DD"),
                    "options": st.column_config.TextColumn(labels["options"], help=t("ctr.options_help")),
                    "ceiling": st.column_config.NumberColumn(labels["ceiling"], min_value=0, format="localized"),
                    "owner": st.column_config.TextColumn(labels["owner"]),
                    "notes": st.column_config.TextColumn(labels["notes"])})
            save = st.form_submit_button(t("ctr.save"), type="primary", disabled=readonly)
        if save:
            records = edited.to_dict("records")
            try:
                ct.from_editor(cur, records, labels)           # read and checked first: a refusal writes nothing
            except ContractError as exc:
                refused(exc)
            else:
                run_edit(lambda: st.session_state.__setitem__(state.CTR_SAVED, ct.save_editor(cur, records, labels)),
                         lambda: t("ctr.saved", **st.session_state.pop(state.CTR_SAVED)))
        if paths:
            with st.expander(t("ctr.paths")):
                st.caption(t("ctr.paths_help"))
                st.code("\n".join(paths), language=None)
        if not table.empty:
            st.download_button(t("ctr.export"), data=lambda: ct.register_bytes(cur, "xlsx"), icon=":material/download:",
                               file_name="spendkollen-avtal.xlsx", key="ctr_export")

# ------------------------------------------------------------ import
if tab_imp.open:
    with tab_imp:
        st.caption(t("ctr.import_intro"))
        up = file_uploader(t("ctr.import_file"), ["xlsx", "xls", "ods", "csv", "txt"], key="ctr_file")
        if up is not None:
            try:
                pre = ct.preview(cur, up.name, up.getvalue())
            except SpendkollenError as exc:
                st.error(error_text(exc), icon=":material/error:")
                pre = None
            if pre is not None:
                profiles = query(ct.profiles)
                prof = st.selectbox(t("ctr.profile"), [""] + profiles, key="ctr_profile",
                                    format_func=lambda p: p or t("ctr.profile_auto"))
                guess = ct.load_profile(cur, prof) if prof else pre["mapping"]
                st.caption(t("ctr.mapping_intro", rows=fmt.number(pre["rows"], lang)))
                choices = [""] + pre["columns"]
                cols = st.columns(3)
                mapping = {}
                for i, f in enumerate(ct.FIELDS):
                    have = guess.get(f) if guess.get(f) in choices else ""
                    label = FIELD[f] + (" *" if f in ct.REQUIRED else "")
                    mapping[f] = cols[i % 3].selectbox(label, choices, index=choices.index(have), key=f"ctr_map_{prof}_{f}",
                                                       format_func=lambda c: c or t("ctr.unmapped")) or None
                replace = st.toggle(t("ctr.replace"), key="ctr_replace", help=t("ctr.replace_help"))
                p1, p2 = st.columns([2, 1])
                new_profile = p1.text_input(t("ctr.save_profile"), key="ctr_new_profile", placeholder=t("ctr.save_profile_ph"))
                if p2.button(t("ctr.import_go"), type="primary", key="ctr_import", disabled=readonly):
                    try:
                        ct.read_register(cur, up.name, up.getvalue(), mapping)      # every row checked before anything is written
                    except ContractError as exc:
                        refused(exc)
                    else:
                        def _import():
                            res = ct.import_register(cur, up.name, up.getvalue(), replace=replace, mapping=mapping)
                            if new_profile.strip():
                                ct.save_profile(cur, new_profile, {f: c for f, c in mapping.items() if c})
                            st.session_state[state.CTR_SAVED] = res
                        run_edit(_import, lambda: t("ctr.imported", file=fmt.md_escape(up.name),
                                                    **st.session_state.pop(state.CTR_SAVED)))

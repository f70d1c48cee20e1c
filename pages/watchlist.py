"""Bevakningslista: supplier deviations through the escalation ladder with penalties, the
supplier next to its spend, and signals from the ledger to review."""

import datetime as dt

import pandas as pd
import streamlit as st

from analytics import access, contracts
from analytics import watchlist as wl
from analytics.cube import supplier_choices
from analytics.errors import SpendkollenError
from analytics.export import Sheet, xlsx_bytes
from ui import auth, state
from ui import format as fmt
from ui.cache import query
from ui.db import cursor
from ui.i18n import current_lang, error_text, t, translate
from ui.tables import dates, show_table
from ui.widgets import file_uploader, kpi_row, lazy_tabs, run_edit, show_done

lang = current_lang()
cur = cursor()
st.title(t("wl.title"))
auth.read_only(access.DEVIATIONS)
st.caption(t("wl.intro"))
show_done()
SEV = {s: t(f"wl.sev_{s}") for s in wl.SEVERITIES}
ladder = query(wl.steps)
STEP = {int(r.step): f"{int(r.step)}. {r.name_sv if lang == 'sv' else r.name_en}" for r in ladder.itertuples()}


open_df = query(wl.deviations)
totals = query(wl.penalty_totals)
this_year = totals[totals.year == dt.date.today().year] if not totals.empty else totals
kpi_row([(t("wl.kpi_open"), fmt.number(len(open_df), lang), None),
         (t("wl.kpi_overdue"), fmt.number(int(open_df.overdue.sum()) if len(open_df) else 0, lang), t("wl.kpi_overdue_help")),
         (t("wl.kpi_booked"), fmt.money(float(this_year.booked.sum()) if len(this_year) else 0, lang), None),
         (t("wl.kpi_charged"), fmt.money(float(this_year.charged.sum()) if len(this_year) else 0, lang), None)])

# only the open tab runs: the first render is the deviation log's; the signals are computed
# when their tab is opened
tab_log, tab_supplier, tab_signals, tab_ladder, tab_files = lazy_tabs(
    [t("wl.tab_log"), t("wl.tab_supplier"), t("wl.tab_signals"), t("wl.tab_ladder"), t("wl.tab_files")], state.WL_TAB)

suppliers = query(supplier_choices) if tab_log.open or tab_supplier.open else []
sup_label = dict(suppliers)

# ------------------------------------------------------------ deviation log
if tab_log.open:
    with tab_log:
        show_all = st.toggle(t("wl.show_closed"), key="wl_all")
        df = query(wl.deviations, status=None if show_all else "open")
        if df.empty:
            st.info(t("wl.none"))
        else:
            shown = pd.DataFrame({
                "id": df.deviation_id, "overdue": [("⚠ " + t("wl.overdue")) if o else "" for o in df.overdue],
                "supplier": df.supplier_name, "step": [STEP.get(int(s), s) for s in df.step],
                "severity": [SEV.get(s, s) for s in df.severity], "next_action": df.next_action, "due": df.due,
                "booked": df.booked, "charged": df.charged, "status": [t(f"wl.status_{s}") for s in df.status],
                "contract": [f"{c} · {n}" if isinstance(n, str) else c for c, n in zip(df.contract, df.contract_name)],
                "contract_owner": df.contract_owner, "supplier_owner": df.supplier_owner, "description": df.description})
            show_table(shown.style.apply(lambda r: ["background-color: #fde2e1" if r.overdue else "" for _ in r], axis=1),
                         hide_index=True, width="stretch", column_config={
                             "id": st.column_config.NumberColumn("#", width="small"), "overdue": t("wl.col_overdue"),
                             "supplier": t("wl.col_supplier"), "step": t("wl.col_step"), "severity": t("wl.col_severity"),
                             "next_action": t("wl.col_next_action"), "due": st.column_config.DateColumn(t("wl.col_due")),
                             "booked": st.column_config.NumberColumn(t("wl.col_booked"), format="localized"),
                             "charged": st.column_config.NumberColumn(t("wl.col_charged"), format="localized"),
                             "status": t("wl.col_status"), "contract": t("wl.col_contract"),
                             "contract_owner": t("wl.col_contract_owner"),
                             "supplier_owner": t("wl.col_supplier_owner"), "description": t("wl.col_description")})

        with st.expander(t("wl.add"), expanded=df.empty):
            with st.form("wl_add"):
                a1, a2, a3 = st.columns(3)
                sup = a1.selectbox(t("wl.col_supplier"), [k for k, _ in suppliers], format_func=sup_label.get, key="wl_add_sup",
                                   help=t("wl.pick_supplier_help"))
                contract = a2.text_input(t("wl.col_contract"), key="wl_add_contract", help=t("wl.contract_help"))
                occurred = a3.date_input(t("wl.col_occurred"), value=dt.date.today(), key="wl_add_date")
                desc = st.text_area(t("wl.col_description"), key="wl_add_desc")
                b1, b2, b3, b4 = st.columns(4)
                severity = b1.selectbox(t("wl.col_severity"), list(wl.SEVERITIES), index=1, format_func=SEV.get, key="wl_add_sev")
                step = b2.selectbox(t("wl.col_step"), list(STEP), format_func=STEP.get, key="wl_add_step")
                category = b3.text_input(t("wl.col_category"), key="wl_add_cat")
                reported_by = b4.text_input(t("wl.col_reported_by"), key="wl_add_rep")
                c1, c2, c3, c4 = st.columns(4)
                contract_owner = c1.text_input(t("wl.col_contract_owner"), key="wl_add_co", help=t("wl.contract_owner_help"))
                supplier_owner = c2.text_input(t("wl.col_supplier_owner"), key="wl_add_so")
                next_action = c3.text_input(t("wl.col_next_action"), key="wl_add_next")
                due = c4.date_input(t("wl.col_due"), value=None, key="wl_add_due")
                if st.form_submit_button(t("wl.add_button"), type="primary", disabled=not auth.can(access.DEVIATIONS)):
                    run_edit(lambda: wl.add(cur, sup, desc, occurred=occurred, contract=contract or None, category=category or None,
                                        severity=severity, reported_by=reported_by or None, contract_owner=contract_owner or None,
                                        supplier_owner=supplier_owner or None, step=step, next_action=next_action or None, due=due),
                         t("wl.added"))

        if not df.empty:
            st.markdown(f"**{t('wl.handle')}**")
            ids = list(df.deviation_id)
            pick = st.selectbox(t("wl.pick"), ids, key="wl_pick", format_func=lambda i: f"#{i} {df.set_index('deviation_id').at[i, 'supplier_name']}")
            d = query(wl.get, int(pick))
            st.caption(t("wl.current", step=STEP.get(int(d["step"]), d["step"]), actions=(
                ladder.set_index("step").at[int(d["step"]), "actions_sv" if lang == "sv" else "actions_en"])))
            with st.form(f"wl_move_{pick}"):
                m1, m2, m3 = st.columns([2, 3, 2])
                to = m1.selectbox(t("wl.move_to"), list(STEP), index=list(STEP).index(int(d["step"])), format_func=STEP.get,
                                  key=f"wl_to_{pick}")
                why = m2.text_input(t("wl.why"), key=f"wl_why_{pick}", help=t("wl.why_help"))
                new_due = m3.date_input(t("wl.col_due"), value=None, key=f"wl_due_{pick}")
                nxt = st.text_input(t("wl.col_next_action"), key=f"wl_next_{pick}")
                if st.form_submit_button(t("wl.move"), type="primary", disabled=not auth.can(access.DEVIATIONS)):
                    run_edit(lambda: wl.move(cur, int(pick), int(to), why, next_action=nxt or None, due=new_due),
                         t("wl.moved", step=STEP.get(int(to), to)))
            p1, p2 = st.columns(2)
            with p1.form(f"wl_pen_{pick}"):
                amount = st.number_input(t("wl.penalty_amount"), min_value=0.0, step=1000.0, key=f"wl_amount_{pick}")
                if st.form_submit_button(t("wl.book"), disabled=not auth.can(access.DEVIATIONS)):
                    run_edit(lambda: wl.penalty(cur, int(pick), "book", amount), t("wl.booked"))
            pens = query(wl.penalties, int(pick))
            with p2:
                if not pens.empty:
                    show_table(pens[["penalty_id", "amount", "booked_on", "charged_on", "earned_back_on"]], hide_index=True,
                                 width="stretch", column_config={
                                     "penalty_id": "#", "amount": st.column_config.NumberColumn(t("wl.penalty_amount"), format="localized"),
                                     "booked_on": t("wl.col_booked_on"), "charged_on": t("wl.col_charged_on"),
                                     "earned_back_on": t("wl.col_earned_back_on")})
                    pid = st.selectbox(t("wl.penalty"), list(pens.penalty_id), key=f"wl_pid_{pick}")
                    q1, q2 = st.columns(2)
                    if q1.button(t("wl.charge"), key=f"wl_charge_{pick}", disabled=not auth.can(access.DEVIATIONS)):
                        run_edit(lambda: wl.penalty(cur, int(pick), "charge", penalty_id=int(pid)), t("wl.charged"))
                    if q2.button(t("wl.earn_back"), key=f"wl_earn_{pick}", disabled=not auth.can(access.DEVIATIONS), help=t("wl.earn_back_help", days=wl.EARN_BACK_DAYS)):
                        run_edit(lambda: wl.penalty(cur, int(pick), "earn_back", penalty_id=int(pid)), t("wl.earned_back"))
            with st.form(f"wl_close_{pick}"):
                note = st.text_input(t("wl.closing_note"), key=f"wl_note_{pick}")
                if st.form_submit_button(t("wl.close"), disabled=not auth.can(access.DEVIATIONS)):
                    run_edit(lambda: wl.close(cur, int(pick), note), t("wl.closed"))
            hist = query(wl.history, int(pick))
            st.markdown(f"**{t('wl.history')}**")
            show_table(pd.DataFrame({"at": hist["at"], "actor": hist.actor,
                                       "what": [", ".join(f"{k}: {v}" for k, v in w.items()) for w in hist.what],
                                       "why": hist.why}), hide_index=True, width="stretch",
                         column_config={"at": t("log.at"), "actor": t("log.actor"), "what": t("wl.col_what"), "why": t("wl.why")})

# ------------------------------------------------------------ supplier view
if tab_supplier.open:
    with tab_supplier:
        key = st.selectbox(t("wl.col_supplier"), [k for k, _ in suppliers], format_func=sup_label.get, key="wl_view_sup")
        if key:
            v = query(wl.supplier_view, key, scope=getattr(st.session_state.get(state.FILTERS), "scope", "influenceable"))
            spend_kpi = ((t("wl.spend_influenceable"), fmt.msek(v["spend"], lang),
                          t("wl.spend_scope_help", total=fmt.msek(v["total"], lang), excluded=fmt.msek(v["excluded"], lang)))
                         if v["scope"] == "influenceable" else (t("wl.total_spend"), fmt.msek(v["total"], lang), None))
            kpi_row([spend_kpi,
                     (t("wl.legal_form"), t(f"legal.{v['legal_form']}") if v["legal_form"] else "–", None),
                     (t("wl.org_status"), t(f"wl.org_{v['org_no_status']}"), v["org_no"] or None),
                     (t("wl.kpi_open"), fmt.number(int((v["deviations"].status == "open").sum()), lang), None)])
            if not v["trend"].empty:
                st.bar_chart(v["trend"].set_index("quarter")["spend"] / 1e6, y_label="MSEK")
            c1, c2 = st.columns(2)
            with c1:
                show_table(v["categories"], hide_index=True, width="stretch", column_config={
                    "category": t("wl.col_category"),
                    "spend": st.column_config.NumberColumn(t("wl.col_spend"), format="localized"),
                    "share": st.column_config.NumberColumn(t("wl.col_share_of_category"), format="percent")})
            with c2:
                show_table(v["units"], hide_index=True, width="stretch", column_config={
                    "org_unit": t("dim.org_unit"), "spend": st.column_config.NumberColumn(t("wl.col_spend"), format="localized")})
            on = query(contracts.for_supplier, key)
            st.markdown(f"**{t('wl.supplier_contracts')}**")
            if on.empty:
                st.caption(t("wl.supplier_no_contracts"))
            else:
                show_table(pd.DataFrame({"contract_id": on.contract_id, "name": on.name, "owner": on.owner,
                                         "start": dates(on.start_date), "last_day": dates(on.last_day),
                                         "valid": [t("ctr.valid") if v else t("ctr.not_valid") for v in on.valid]}),
                           hide_index=True, width="stretch", column_config={
                               "contract_id": t("ctr.col_id"), "name": t("ctr.col_name"), "owner": t("ctr.col_owner"),
                               "start": st.column_config.DateColumn(t("ctr.col_start")),
                               "last_day": st.column_config.DateColumn(t("ctr.col_last_day")), "valid": t("ctr.col_valid")})

# ------------------------------------------------------------ signals
if tab_signals.open:
    with tab_signals:
        st.caption(t("wl.signals_intro") + " " + t("wl.signals_scope"))
        scope = getattr(st.session_state.get(state.FILTERS), "scope", "influenceable")
        basis = query(wl.new_supplier_basis)
        if basis is not None:
            if basis["earlier_months"]:
                st.caption(t("wl.new_basis", months=basis["earlier_months"], month=f"{basis['quarter_start']:%Y-%m}"))
            else:
                st.info(t("wl.new_basis_none", month=f"{basis['quarter_start']:%Y-%m}"), icon=":material/info:")
        sig = query(wl.signals, scope=scope)
        covered = [s for s in sig if s["kind"] == "direct_award_covered"]
        sig = [s for s in sig if s["kind"] != "direct_award_covered"]
        if not sig:
            st.info(t("wl.no_signals"))
        else:
            sdf = pd.DataFrame(sig)
            kinds = list(dict.fromkeys(sdf.kind))
            pick_kinds = st.multiselect(t("wl.signal_kinds"), kinds, placeholder=t("ui.choose_options"), default=kinds, format_func=lambda k: t(f"wl.sig_{k}"),
                                        key="wl_sig_kinds")
            sdf = sdf[sdf.kind.isin(pick_kinds)]
            def _detail(kind: str, p: dict) -> str:      # (translate with the page's language: thousands of rows)
                q = dict(p)
                if "change" in q:
                    q["change"] = ("+" if q["change"] > 0 else "") + fmt.percent(q["change"], lang, 0)
                for k in ("before", "now", "limit"):
                    if k in q:
                        q[k] = fmt.money(q[k], lang)
                if "status" in q:
                    q["status"] = translate(lang, f"wl.org_{q['status']}")
                return translate(lang, f"wl.detail_{kind}", **q)
            kind_names = {k: t(f"wl.sig_{k}") for k in kinds}
            show_table(pd.DataFrame({"kind": sdf.kind.map(kind_names), "supplier": sdf.supplier,
                                       "org_no": sdf.org_no, "amount": sdf.amount,
                                       "detail": [_detail(k, p) for k, p in zip(sdf.kind, sdf.params)]}),
                         hide_index=True, width="stretch", column_config={
                             "kind": t("wl.col_signal"), "supplier": t("wl.col_supplier"), "org_no": t("wl.col_org_no"),
                             "amount": st.column_config.NumberColumn(t("wl.col_spend"), format="localized"),
                             "detail": t("wl.col_detail")})
        if covered:
            with st.expander(t("wl.covered", n=len(covered))):
                st.caption(t("wl.covered_help"))
                show_table(pd.DataFrame({
                    "supplier": [s["supplier"] for s in covered], "org_no": [s["org_no"] for s in covered],
                    "amount": [s["amount"] for s in covered],
                    "detail": [t("wl.detail_direct_award_covered", month=s["params"]["month"], contracts=s["params"]["contracts"],
                                 limit=fmt.money(s["params"]["limit"], lang), off=fmt.money(s["params"]["off"], lang))
                               for s in covered]}),
                    hide_index=True, width="stretch", column_config={
                        "supplier": t("wl.col_supplier"), "org_no": t("wl.col_org_no"),
                        "amount": st.column_config.NumberColumn(t("wl.col_spend"), format="localized"),
                        "detail": t("wl.col_detail")})

# ------------------------------------------------------------ ladder and thresholds
if tab_ladder.open:
    with tab_ladder:
        show_table(pd.DataFrame({"step": ladder.step, "name": ladder.name_sv if lang == "sv" else ladder.name_en,
                                   "actions": ladder.actions_sv if lang == "sv" else ladder.actions_en,
                                   "penalty": [t(f"wl.penalty_{p}") for p in ladder.penalty]}),
                     hide_index=True, width="stretch", column_config={"step": t("wl.col_step"), "name": t("wl.col_name"),
                                                                      "actions": t("wl.col_actions"), "penalty": t("wl.col_penalty")})
        st.caption(t("wl.ladder_caption", days=wl.EARN_BACK_DAYS))
        show_table(query(wl.thresholds), hide_index=True, width="stretch")

# ------------------------------------------------------------ import / export
if tab_files.open:
    with tab_files:
        frame = query(wl.export_frame)
        st.download_button(t("wl.export"), data=lambda: xlsx_bytes([Sheet("Bevakningslista", frame)]),
                           file_name="spendkollen-bevakningslista.xlsx", key="wl_export", icon=":material/download:")
        up = file_uploader(t("wl.import"), ["xlsx", "csv"], key="wl_file", help=t("wl.import_help"))
        if up is not None:
            try:
                header, _rows = wl.read_file(up.name, up.getvalue(), {})
            except SpendkollenError as exc:
                st.error(error_text(exc), icon=":material/error:")
            else:
                st.caption(t("wl.mapping"))
                cols = st.columns(3)
                mapping = {}
                for i, field in enumerate(wl.FILE_COLUMNS):
                    guess = next((h for h in header if h.strip().lower() == field), "")
                    mapping[field] = cols[i % 3].selectbox(t(f"wl.field_{field}"), [""] + header,
                                                           index=([""] + header).index(guess), key=f"wl_map_{field}")
                if st.button(t("wl.import_go"), key="wl_import_go", disabled=not auth.can(access.DEVIATIONS), type="primary"):
                    def _import():
                        _h, rows = wl.read_file(up.name, up.getvalue(), {k: v for k, v in mapping.items() if v})
                        st.session_state[state.WL_IMPORTED] = wl.import_rows(cur, up.name, rows)
                    run_edit(_import, t("wl.imported", file=fmt.md_escape(up.name)))

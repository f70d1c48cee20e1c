"""Kategoriplaner: the pipeline of initiatives by gate, and for one initiative its category plan
(16 sections, the data sections kept current, versions), its governance decisions and the KPIs of
its area; the plan as Word or PDF for the council."""

import datetime as dt

import pandas as pd
import streamlit as st

from analytics import access, kpis, plans
from analytics import prioritise as pr
from analytics.report import plan_doc
from ui import auth, state
from ui import format as fmt
from ui.cache import query
from ui.db import cursor
from ui.i18n import current_lang, t
from ui.tables import dates, show_table
from ui.widgets import kpi_row, lazy_tabs, run_edit, show_done, show_kpis, text_diff

lang = current_lang()
cur = cursor()
st.title(t("plans.title"))
readonly = auth.read_only(access.PLANS)
st.caption(t("plans.intro"))
show_done()
GATE = {g: t(f"plan.gate_{g}") for g, _ in plans.GATES}
DECISION = {d: t(f"plan.decision_{d}") for d in plans.DECISIONS}
STATUS = {s: t(f"pri.status_{s}") for s in pr.STATUSES}

board = query(plans.pipeline)
if not board:
    st.info(t("plans.none"), icon=":material/info:")
    st.page_link(st.session_state[state.PAGES]["prioritise"], label=t("sav.to_prioritise"), icon=":material/bubble_chart:")
    st.stop()

# ------------------------------------------------------------ the pipeline board
st.subheader(t("plans.board"))
show_table(pd.DataFrame({
    "initiative": [r["initiative"] for r in board], "status": [STATUS.get(r["status"], r["status"]) for r in board],
    "gate": [GATE[r["gate"]] if r["gate"] else "–" for r in board],
    "next": [f"{GATE[r['next']]} ({' + '.join(r['waiting'])})" if r["next"] else "–" for r in board],
    "sections": [f"{r['sections_filled']}/{r['sections']}" for r in board],
    "returned": ["↩ " + t("plan.decision_returned") if any(d["decision"] == "returned" for d in r["decisions"][-1:]) else
                 ("■ " + t("plan.decision_stopped") if r["status"] == "stopped" else "") for r in board]}),
    hide_index=True, width="stretch", column_config={
        "initiative": t("plans.col_initiative"), "status": t("pri.col_status"), "gate": t("plan.f_gate"),
        "next": t("plan.f_next"), "sections": t("plans.col_sections"), "returned": t("plans.col_flag")})

names = {r["initiative_id"]: r["initiative"] for r in board}
iid = st.selectbox(t("plans.pick"), list(names), format_func=names.get, key="plans_pick")
row = next(r for r in board if r["initiative_id"] == iid)
plan = query(plans.load, iid)
it = next(i for i in query(pr.load) if i.initiative_id == iid)
figs = query(plans.figures, it.category_ids)
kpi_row([(t("plan.fig_spend"), fmt.msek(figs["spend"], lang), None),
         (t("plan.fig_suppliers"), fmt.number(figs["suppliers"], lang), None),
         (t("plan.fig_top5_share"), fmt.percent(figs["top5_share"], lang), None),
         (t("ctr.kpi_share"), fmt.percent(figs["contract_share"], lang), None if figs["contract_share"] is not None
          else t("plan.no_register"))])

# only the open tab runs (and is drawn)
tab_plan, tab_gates, tab_kpi, tab_versions = lazy_tabs([t("plans.tab_plan"), t("plans.tab_gates"), t("plans.tab_kpis"),
                                                        t("plans.tab_versions")], state.PLANS_TAB)

# ------------------------------------------------------------ the plan
if tab_plan.open:
    with tab_plan:
        st.caption(t("plans.version", version=plan.version, who=plan.saved_by or "–") if plan.version else t("plan.not_saved"))
        with st.form(f"plan_form_{iid}_{plan.version}"):
            texts = {}
            for n, key in enumerate(plans.SECTIONS, start=1):
                with st.expander(f"{n}. {t('plan.section_' + key)}", expanded=key == "purpose"):
                    if key in plans.DATA_SECTIONS:
                        st.caption(t(f"plans.data_{key}", spend=fmt.msek(figs["spend"], lang),
                                     trend=fmt.percent(figs["trend"], lang), suppliers=fmt.number(figs["suppliers"], lang),
                                     n80=fmt.number(figs["n80"], lang) if figs["n80"] is not None else "–",
                                     top=fmt.percent(figs["top_share"], lang), top5=fmt.percent(figs["top5_share"], lang),
                                     share=fmt.percent(figs["contract_share"], lang),
                                     contracts=figs["contracts"] if figs["contracts"] is not None else "–",
                                     ending=figs["ending_12"] if figs["ending_12"] is not None else "–"))
                    texts[key] = st.text_area(t("plans.text"), plan.texts.get(key, ""), key=f"plan_{iid}_{plan.version}_{key}",
                                              height=110, disabled=readonly, label_visibility="collapsed",
                                              placeholder=t(f"plans.hint_{key}"))
            st.markdown(f"**{t('plans.people')}**")
            people = st.data_editor(pd.DataFrame(plan.people or [], columns=["name", "role", "section"]).astype("string"),
                                    num_rows="dynamic", hide_index=True, width="stretch", disabled=readonly,
                                    key=f"plan_people_{iid}_{plan.version}", placeholder="", column_config={
                                        "name": t("plan.col_person"), "role": t("plan.col_role"),
                                        "section": st.column_config.SelectboxColumn(
                                            t("plans.col_in"), options=["staffing", "stakeholders"], required=True,
                                            format_func=lambda s: t(f"plan.section_{s}"))})
            st.markdown(f"**{t('plan.section_price_breakdown')}**")
            prices = st.data_editor(pd.DataFrame(plan.prices or [], columns=["component", "share", "note"]),
                                    num_rows="dynamic", hide_index=True, width="stretch", disabled=readonly,
                                    key=f"plan_prices_{iid}_{plan.version}", placeholder="", column_config={
                                        "component": t("plan.col_component"),
                                        "share": st.column_config.NumberColumn(t("plan.col_share"), min_value=0.0,
                                                                               max_value=1.0, format="percent"),
                                        "note": t("plan.col_note")})
            st.markdown(f"**{t('plan.section_projects')}**")
            projects = st.data_editor(pd.DataFrame(plan.projects or [], columns=["name", "saving_sek", "start", "initiative_id",
                                                                           "savings_quarter"]),
                                      num_rows="dynamic", hide_index=True, width="stretch", disabled=readonly,
                                      key=f"plan_projects_{iid}_{plan.version}", placeholder="", column_config={
                                          "name": t("plan.col_project"),
                                          "saving_sek": st.column_config.NumberColumn(t("plan.col_saving"), format="localized"),
                                          "start": t("pri.col_start"),
                                          "initiative_id": st.column_config.NumberColumn(t("plan.col_initiative"), disabled=True),
                                          "savings_quarter": st.column_config.TextColumn(t("plans.col_savings_quarter"),
                                                                                         disabled=True)})
            if st.form_submit_button(t("plans.save"), type="primary", disabled=readonly):
                def _records(df):
                    return [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in df.to_dict("records")
                            if any(not pd.isna(v) and v != "" for v in r.values())]
                new = plans.Plan(iid, {k: v for k, v in texts.items() if v.strip()}, _records(people), _records(prices),
                                 _records(projects), version=plan.version)
                run_edit(lambda: st.session_state.__setitem__(state.PLAN_SAVED, plans.save(cur, new)),
                         lambda: t("plans.saved", version=st.session_state.pop(state.PLAN_SAVED)))
        open_projects = [n for n, p in enumerate(plan.projects) if not p.get("initiative_id") and not p.get("savings_quarter")]
        if open_projects and not readonly:
            c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
            pick = c1.selectbox(t("plans.project_pick"), open_projects, key=f"plan_proj_{iid}",
                                format_func=lambda n: plan.projects[n]["name"])
            if c2.button(t("plans.to_initiative"), key=f"plan_to_init_{iid}", width="stretch"):
                run_edit(lambda: plans.project_to_initiative(cur, iid, int(pick)), t("plans.made_initiative"))
            if c3.button(t("plans.to_saving"), key=f"plan_to_saving_{iid}", width="stretch",
                         disabled=auth.read_only(access.SAVINGS_REPORT)):
                run_edit(lambda: st.session_state.__setitem__(state.PLAN_SAVED, plans.project_to_saving(cur, iid, int(pick))),
                         lambda: t("plans.made_saving", name=it.name, quarter=st.session_state.pop(state.PLAN_SAVED)))
        d1, d2 = st.columns(2)
        d1.download_button(t("plans.export_docx"), icon=":material/description:", key=f"plan_docx_{iid}",
                           data=lambda: plan_doc.to_docx(plan_doc.content(cur, iid, lang)),
                           file_name=f"kategoriplan-{iid}.docx")
        d2.download_button(t("plans.export_pdf"), icon=":material/picture_as_pdf:", key=f"plan_pdf_{iid}",
                           data=lambda: plan_doc.to_pdf(plan_doc.content(cur, iid, lang)), file_name=f"kategoriplan-{iid}.pdf")

# ------------------------------------------------------------ the gates
if tab_gates.open:
    with tab_gates:
        s = plans.state(query(plans.decisions, iid).to_dict("records"))
        st.caption(t("plans.gates_intro"))
        st.markdown(" → ".join((f"**✓ {GATE[g]}**" if g in s["passed"] else
                                (f"**▶ {GATE[g]} ({' + '.join(s['waiting'])})**" if g == s["next"] else GATE[g]))
                               for g in plans.ORDER))
        with st.form(f"plan_decision_{iid}"):
            c1, c2, c3 = st.columns(3)
            gates = [g for g, _ in plans.GATES]
            gate = c1.selectbox(t("plan.col_gate"), gates, format_func=GATE.get, key=f"dec_gate_{iid}",
                                index=gates.index(s["next"]) if s["next"] else gates.index("restart"))
            forum = c2.selectbox(t("plan.col_forum"), list(plans.FORUMS), key=f"dec_forum_{iid}",
                                 index=list(plans.FORUMS).index(s["waiting"][0]) if s["waiting"] else 0)
            decision = c3.selectbox(t("plan.col_decision"), list(plans.DECISIONS), format_func=DECISION.get, key=f"dec_dec_{iid}")
            c4, c5 = st.columns([1, 2])
            day = c4.date_input(t("plan.col_date"), value=dt.date.today(), key=f"dec_day_{iid}")
            minute = c5.text_input(t("plan.col_minute"), key=f"dec_minute_{iid}", placeholder=t("plans.minute_ph"))
            doc = st.file_uploader(t("plans.document"), key=f"dec_doc_{iid}")
            if st.form_submit_button(t("plans.record"), type="primary", disabled=readonly):
                run_edit(lambda: plans.record(cur, iid, gate, forum, decision, day, minute,
                                              document=(doc.name, doc.getvalue()) if doc is not None else None),
                         t("plans.recorded", gate=GATE[gate], decision=DECISION[decision].lower()))
        hist = query(plans.decisions, iid)
        if hist.empty:
            st.caption(t("plan.no_decisions"))
        else:
            show_table(pd.DataFrame({"date": dates(hist.decided_on), "forum": hist.forum, "gate": [GATE[g] for g in hist.gate],
                                     "decision": [DECISION[d] for d in hist.decision], "minute": hist.minute,
                                     "document": [d if isinstance(d, str) else "" for d in hist.document_name],
                                     "by": hist.recorded_by, "round": hist.cycle}),
                       hide_index=True, width="stretch", column_config={
                           "date": st.column_config.DateColumn(t("plan.col_date")), "forum": t("plan.col_forum"),
                           "gate": t("plan.col_gate"), "decision": t("plan.col_decision"), "minute": t("plan.col_minute"),
                           "document": t("plans.document"), "by": t("plans.col_by"), "round": t("plans.col_round")})

# ------------------------------------------------------------ the area's KPIs
if tab_kpi.open:
    with tab_kpi:
        kt = query(kpis.table, it.category_ids)
        if kt.empty:
            st.caption(t("plan.no_kpis"))
        else:
            st.caption(t("plans.kpis_quarter", quarter=kt.quarter.iloc[0]))
            show_kpis(kt, lang)
            st.page_link(st.session_state[state.PAGES]["kpis"], label=t("plans.to_kpis"), icon=":material/speed:")

# ------------------------------------------------------------ versions
if tab_versions.open:
    with tab_versions:
        vs = query(plans.versions, iid)
        if vs.empty:
            st.caption(t("plan.not_saved"))
        else:
            show_table(pd.DataFrame({"version": vs.version, "saved_at": vs.saved_at, "saved_by": vs.saved_by,
                                     "filled": vs.sections_filled, "approved": ["✓" if a else "" for a in vs.approved]}),
                       hide_index=True, width="stretch", column_config={
                           "version": t("plan.f_version"),
                           "saved_at": st.column_config.DatetimeColumn(t("log.at"), format="YYYY-MM-DD HH:mm"),
                           "saved_by": t("plans.col_by"),
                           "filled": t("plans.col_sections"), "approved": t("plans.col_approved")})
        changed = query(plans.since_approved, iid)
        if changed:
            if changed["figures"]:
                st.markdown(f"**{t('plans.changed_since', version=changed['version'])}**")
                kinds = plans.FIGURE_KINDS
                show_table(pd.DataFrame({"figure": [t(f"plans.figure_{k}") for k in changed["figures"]],
                                         "then": [fmt.value(v[0], kinds[k], lang) for k, v in changed["figures"].items()],
                                         "now": [fmt.value(v[1], kinds[k], lang) for k, v in changed["figures"].items()]}),
                           hide_index=True, width="stretch", column_config={
                               "figure": t("plan.col_figure"), "then": t("plans.col_then"), "now": t("plans.col_now")})
            else:
                st.caption(t("plans.unchanged_since", version=changed["version"]))
        if len(vs) > 1:
            st.markdown(f"**{t('plans.compare')}**")
            numbers = [int(v) for v in vs.version]
            approved = changed["version"] if changed else None
            c1, c2 = st.columns(2)
            older = c1.selectbox(t("plans.compare_from"), numbers[:-1], key=f"plan_cmp_a_{iid}_{numbers[-1]}",
                                 index=numbers.index(approved) if approved in numbers[:-1] else len(numbers) - 2)
            newer = c2.selectbox(t("plans.compare_to"), [n for n in numbers if n > older], key=f"plan_cmp_b_{iid}_{numbers[-1]}",
                                 index=len([n for n in numbers if n > older]) - 1)
            sections = plans.compare(query(plans.load, iid, older), query(plans.load, iid, newer))
            if not sections:
                st.caption(t("plans.compare_same", a=older, b=newer))
            for sec in sections:
                text_diff(f"{plans.SECTIONS.index(sec['section']) + 1}. {t('plan.section_' + sec['section'])}", sec["pieces"],
                          t("plans.compare_version", version=older), t("plans.compare_version", version=newer))

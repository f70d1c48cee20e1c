"""Klassificering: the review queue with suggestions, the rules in their precedence, the
category tree (edit, import, export, CPV, undo) and the coverage against the 80-90 % target."""

import pandas as pd
import streamlit as st

from analytics import access, classify, review
from analytics import tree as catree
from analytics.ledger import has_data
from ui import auth, state
from ui import format as fmt
from ui.cache import query
from ui.charts.tree import coverage_bars
from ui.db import cursor
from ui.i18n import current_lang, t
from ui.tables import show_table, texts
from ui.widgets import (
    empty_state,
    file_uploader,
    kpi_row,
    lazy_tabs,
    run_edit,
    show_chart,
    show_done,
    table_downloads,
)

lang = current_lang()
cur = cursor()
st.title(t("cls.title"))
auth.read_only(access.RULES)
st.caption(t("cls.intro"))
show_done()


def _run(action, ok) -> None:
    run_edit(action, ok, spinner=t("cls.working"))


nodes = query(catree.nodes)
paths = dict(zip(nodes.category_id, nodes.path))
by_path = {p: c for c, p in paths.items()}

s = query(classify.summary)
lo, hi = review.TARGET_BAND
share = s["classified_share"]
kpi_row([
    (t("cls.kpi_classified"), fmt.percent(share, lang), t("cls.kpi_classified_help", lo=fmt.percent(lo, lang, 0),
                                                            hi=fmt.percent(hi, lang, 0))),
    (t("cls.kpi_unclassified"), fmt.msek(s["unclassified_spend"], lang), None),
    (t("cls.kpi_excluded"), fmt.msek(s["excluded_spend"], lang), t("cls.kpi_excluded_help")),
    (t("cls.kpi_rules"), fmt.number(s["rules"], lang), None),
])
if share is not None:
    st.progress(min(1.0, share), text=t("cls.band_ok" if share >= lo else "cls.band_below",
                                           lo=fmt.percent(lo, lang, 0), hi=fmt.percent(hi, lang, 0)))

# only the open tab runs: the first render is the review queue's
tab_review, tab_excl, tab_rules, tab_tree, tab_cov = lazy_tabs(
    [t("cls.tab_review"), t("cls.tab_exclusions"), t("cls.tab_rules"), t("cls.tab_tree"), t("cls.tab_coverage")],
    state.CLS_TAB)
rules_now = query(classify.rules_table) if tab_excl.open or tab_rules.open else None

# ------------------------------------------------------------ review queue
if tab_review.open:
    with tab_review:
        if not query(has_data):
            empty_state(st.session_state[state.PAGES]["upload"])
        else:
            c1, c2, c3 = st.columns([2, 1, 2])
            by = c1.segmented_control(t("cls.queue_by"), ["supplier", "account"], default="supplier", key="cls_by",
                                      format_func=lambda v: t(f"cls.queue_by_{v}")) or "supplier"
            only_new = c2.toggle(t("cls.only_new"), key="cls_only_new", help=t("cls.only_new_help"))
            threshold = c3.slider(t("cls.threshold"), 0.5, 1.0, 0.75, 0.05, key="cls_threshold", help=t("cls.threshold_help"))
            q = query(review.queue, 300) if by == "supplier" else query(review.account_queue, 300)
            if only_new:
                q = q[q.new.fillna(False)]
            if q.empty:
                st.success(t("cls.queue_empty"), icon=":material/task_alt:")
            else:
                st.caption(t("cls.queue_caption", n=fmt.number(len(q), lang), spend=fmt.msek(q.spend.sum(), lang)))
                table = pd.DataFrame({
                    "accept": False,
                    "name": q.supplier if by == "supplier" else q.account.astype(str) + " " + q.account_text.fillna(""),
                    "new": q.new.fillna(False).astype(bool),
                    "spend": texts(q.spend, "number", lang), "share": texts(q.share, "percent", lang, 2),
                    "detail": (q.org_no.fillna("") + " · " + q.account_text.fillna("")) if by == "supplier"
                    else q.suppliers.astype(str) + " " + t("cls.suppliers_word"),
                    "category": q.category, "confidence": texts(q.confidence, "percent", lang, 0),
                    "source": [" + ".join(t(f"cls.source_{x}") for x in srcs) for srcs in q.sources],
                })
                edited = st.data_editor(
                    table, key=f"cls_queue_{by}", hide_index=True, width="stretch", height=420,
                    disabled=["name", "new", "spend", "share", "detail", "confidence", "source"],
                    column_config={
                        "accept": st.column_config.CheckboxColumn(t("cls.col_accept"), width="small"),
                        "name": st.column_config.TextColumn(t("cls.col_supplier") if by == "supplier" else t("cls.col_account")),
                        "new": st.column_config.CheckboxColumn(t("cls.col_new"), width="small"),
                        "spend": st.column_config.TextColumn(t("cls.col_spend"), alignment="right"),
                        "share": st.column_config.TextColumn(t("cls.col_share"), alignment="right"),
                        "detail": st.column_config.TextColumn(t("cls.col_detail")),
                        "category": st.column_config.SelectboxColumn(t("cls.col_category"), options=sorted(by_path),
                                                                     width="large"),
                        "confidence": st.column_config.TextColumn(t("cls.col_confidence"), alignment="right"),
                        "source": st.column_config.TextColumn(t("cls.col_source")),
                    })

                def _items(mask) -> list[dict]:
                    out = []
                    for i in q.index[mask]:
                        path = edited.at[i, "category"] if i in edited.index else None
                        if not isinstance(path, str) or path not in by_path:
                            continue
                        item = {"category_id": by_path[path]}
                        if by == "supplier":
                            item["supplier_key"] = q.at[i, "supplier_key"]
                        else:
                            item["account"] = q.at[i, "account"]
                        out.append(item)
                    return out
                chosen = edited["accept"].to_numpy()
                b1, b2 = st.columns(2)
                before = fmt.percent(share, lang)
                if b1.button(t("cls.accept_selected", n=int(chosen.sum())), key="cls_accept", type="primary",
                             disabled=not chosen.any() or not auth.can(access.RULES)):
                    items = _items(chosen)
                    if not items:
                        st.warning(t("cls.pick_category"))
                    else:
                        _run(lambda: review.accept(cur, items), lambda: t(
                            "cls.accepted", n=len(items), before=before,
                            after=fmt.percent(query(classify.summary)["classified_share"], lang)))
                plan = review.confident(q, threshold)
                pending = st.session_state.get(state.CLS_PENDING_ALL)
                if b2.button(t("cls.accept_confident", n=plan["count"], threshold=fmt.percent(threshold, lang, 0)),
                             key="cls_accept_all", disabled=not plan["count"] or not auth.can(access.RULES)):
                    st.session_state[state.CLS_PENDING_ALL] = pending = {"by": by, "threshold": threshold}
                if pending and pending.get("by") == by and pending.get("threshold") == threshold and plan["count"]:
                    # say what it will do and ask before any rule is made
                    with st.container(border=True):
                        st.warning(t("cls.confirm_all", n=fmt.number(plan["count"], lang), spend=fmt.msek(plan["spend"], lang),
                                     share=fmt.percent(plan["share"], lang), threshold=fmt.percent(threshold, lang, 0)),
                                   icon=":material/help:")
                        sample = plan["sample"]
                        show_table(pd.DataFrame({t("cls.col_supplier") if by == "supplier" else t("cls.col_account"): sample.name,
                                                   t("cls.col_spend"): sample.spend.round(0), t("cls.col_category"): sample.category,
                                                   t("cls.col_confidence"): [fmt.percent(c, lang, 0) for c in sample.confidence]}),
                                     hide_index=True, width="stretch")
                        y, n = st.columns(2)
                        if y.button(t("cls.confirm_yes", n=fmt.number(plan["count"], lang)), key="cls_confirm_all", disabled=not auth.can(access.RULES), type="primary"):
                            st.session_state.pop(state.CLS_PENDING_ALL, None)
                            items = _items(plan["mask"])
                            _run(lambda: review.accept(cur, items), lambda: t(
                                "cls.accepted", n=len(items), before=before,
                                after=fmt.percent(query(classify.summary)["classified_share"], lang)))
                        if n.button(t("cls.confirm_no"), key="cls_cancel_all"):
                            st.session_state.pop(state.CLS_PENDING_ALL, None)
                            st.rerun()

# ------------------------------------------------------------ default exclusions (switches)
if tab_excl.open:
    with tab_excl:
        st.caption(t("cls.exclusions_intro"))
        pre = query(classify.presets, rules_now)
        with st.form("cls_presets"):
            chosen = {}
            for r in pre.itertuples():
                c1, c2 = st.columns([3, 2])
                chosen[r.preset] = c1.toggle(t(f"cls.preset_{r.preset}"), value=bool(r.active), key=f"cls_preset_{r.preset}",
                                             help=t(f"cls.preset_{r.preset}_help"))
                c2.caption(t("cls.preset_catches", spend=fmt.msek(r.spend, lang), lines=fmt.number(r.lines, lang)))
            internal = pre.set_index("preset").at["internal", "org_nos"]
            orgs = st.text_area(t("cls.internal_orgs"), value="\n".join(f"{o[:6]}-{o[6:]}" for o in internal),
                                key="cls_internal_orgs", help=t("cls.internal_orgs_help"))
            if st.form_submit_button(t("cls.presets_save"), type="primary", disabled=not auth.can(access.RULES)):
                def _save():
                    classify.set_internal(cur, [x for x in orgs.replace(",", "\n").splitlines() if x.strip()])
                    for p_, on in chosen.items():
                        classify.set_preset(cur, p_, on)
                _run(_save, t("cls.presets_saved"))

# ------------------------------------------------------------ rules
if tab_rules.open:
    with tab_rules:
        st.markdown(t("cls.precedence"))
        rules = rules_now
        kinds = {k: t(f"cls.kind_{k}") for k in classify.RULE_KINDS}

        def _match(r) -> str:
            parts = []
            if isinstance(r.org_no, str):
                parts.append(f"{r.org_no[:6]}-{r.org_no[6:]}")
            if isinstance(r.supplier, str):
                parts.append(r.supplier)
            if isinstance(r.account_from, str):
                parts.append(t("cls.match_account", acct=r.account_from if r.account_from == r.account_to
                               else f"{r.account_from}–{r.account_to}"))
            if isinstance(r.keyword, str):
                parts.append(f"»{r.keyword}«")
            if isinstance(r.legal_form, str):
                parts.append(t(f"legal.{r.legal_form}"))
            if pd.notna(r.batch_id):
                parts.append(t("cls.match_line", batch=int(r.batch_id), row=int(r.source_row)))
            return " · ".join(parts)
        shown = pd.DataFrame({
            "rule_id": rules.rule_id, "step": rules.step, "kind": [kinds[k] for k in rules.kind],
            "match": [_match(r) for r in rules.itertuples()], "category": rules.category.fillna(t("cls.excluded_word")),
            "active": rules.active, "spend": rules.spend.round(0), "lines": rules.lines, "note": rules.note,
        })
        show_table(shown, hide_index=True, width="stretch", height=360, column_config={
            "rule_id": st.column_config.NumberColumn("#", width="small"),
            "step": st.column_config.NumberColumn(t("cls.col_step"), width="small"),
            "kind": t("cls.col_kind"), "match": t("cls.col_match"), "category": t("cls.col_category"),
            "active": st.column_config.CheckboxColumn(t("cls.col_active"), width="small"),
            "spend": st.column_config.NumberColumn(t("cls.col_caught_spend"), format="localized"),
            "lines": st.column_config.NumberColumn(t("cls.col_caught_lines"), format="localized"),
            "note": t("cls.col_note")})

        with st.form("cls_new_rule", clear_on_submit=False):
            st.markdown(f"**{t('cls.new_rule')}**")
            f1, f2, f3 = st.columns(3)
            kind = f1.selectbox(t("cls.col_kind"), classify.RULE_KINDS, format_func=kinds.get, key="cls_rule_kind")
            org = f2.text_input(t("cls.f_org"), key="cls_rule_org", help=t("cls.f_org_help"))
            name = f3.text_input(t("cls.f_supplier"), key="cls_rule_supplier")
            f4, f5, f6 = st.columns(3)
            acct = f4.text_input(t("cls.f_account"), key="cls_rule_acct", help=t("cls.f_account_help"))
            kw = f5.text_input(t("cls.f_keyword"), key="cls_rule_kw", help=t("cls.f_keyword_help"))
            cat = f6.selectbox(t("cls.col_category"), [None] + sorted(by_path), key="cls_rule_cat",
                               format_func=lambda p: t("cls.excluded_word") if p is None else p)
            f7, f8, f9 = st.columns(3)
            public = f7.checkbox(t("cls.f_public"), key="cls_rule_public")
            line = f8.text_input(t("cls.f_line"), key="cls_rule_line", help=t("cls.f_line_help"))
            note = f9.text_input(t("cls.col_note"), key="cls_rule_note")
            if st.form_submit_button(t("cls.add_rule"), type="primary", disabled=not auth.can(access.RULES)):
                def _add():
                    classify.add_rules(cur, [classify.rule_from_form(kind, by_path.get(cat), org_no=org, supplier=name, account=acct,
                                                                     keyword=kw, public=public, line=line, note=note)])
                _run(_add, t("cls.rule_added"))

        r1, r2 = st.columns([3, 2])
        rule_label = {i: f"#{i} {k}: {m}" for i, k, m in zip(shown.rule_id, shown.kind, shown.match)}
        picked = r1.multiselect(t("cls.pick_rules"), list(rules.rule_id), placeholder=t("ui.choose_options"), key="cls_pick_rules",
                                format_func=rule_label.__getitem__)
        a1, a2 = r2.columns(2)
        if a1.button(t("cls.toggle_rules"), key="cls_toggle", disabled=not picked or not auth.can(access.RULES), width="stretch"):
            _run(lambda: classify.toggle_rules(cur, [int(i) for i in picked]), t("cls.rules_toggled", n=len(picked)))
        if a2.button(t("cls.delete_rules"), key="cls_delete", disabled=not picked or not auth.can(access.RULES), width="stretch"):
            _run(lambda: classify.delete_rules(cur, [int(i) for i in picked]), t("cls.rules_deleted", n=len(picked)))

        st.markdown(f"**{t('cls.rules_files')}**")
        table_downloads(query(classify.export_rules), "Regler", "spendkollen-regler", "cls_rules")
        up = file_uploader(t("cls.import_rules"), ["xlsx", "csv"], key="cls_rules_file",
                              help=t("cls.import_rules_help", columns=", ".join(classify.RULE_FILE_COLUMNS)))
        replace = st.checkbox(t("cls.import_replace"), key="cls_rules_replace")
        if up is not None and st.button(t("cls.import_go"), key="cls_rules_go", disabled=not auth.can(access.RULES)):
            _run(lambda: classify.import_rules(cur, up.name, up.getvalue(), replace=replace),
                 t("cls.rules_imported", file=fmt.md_escape(up.name)))

# ------------------------------------------------------------ tree
if tab_tree.open:
    with tab_tree:
        st.caption(t("cls.tree_intro"))
        show_table(nodes[["path", "level", "code"]], hide_index=True, width="stretch", height=300, column_config={
            "path": t("cls.col_category"), "level": st.column_config.NumberColumn(t("cls.col_level"), width="small"),
            "code": t("cls.col_cpv")})
        ids = list(nodes.category_id)
        label = paths.get
        op = st.segmented_control(t("cls.tree_op"), ["add", "rename", "move", "merge", "delete"], default="add",
                                  key="cls_tree_op", format_func=lambda v: t(f"cls.op_{v}")) or "add"
        with st.form(f"cls_tree_{op}"):
            if op == "add":
                parent = st.selectbox(t("cls.f_parent"), [None] + [i for i in ids if nodes.set_index("category_id").at[i, "level"] < 3],
                                      format_func=lambda i: t("cls.top_level") if i is None else label(i), key="cls_t_parent")
                new_name = st.text_input(t("cls.f_name"), key="cls_t_name")
                go = st.form_submit_button(t("cls.op_add"), type="primary", disabled=not auth.can(access.TREE))
                if go:
                    _run(lambda: catree.add_node(cur, parent, new_name), t("cls.tree_done"))
            elif op == "rename":
                node = st.selectbox(t("cls.f_node"), ids, format_func=label, key="cls_t_node")
                new_name = st.text_input(t("cls.f_name"), key="cls_t_rename")
                if st.form_submit_button(t("cls.op_rename"), type="primary", disabled=not auth.can(access.TREE)):
                    _run(lambda: catree.rename_node(cur, node, new_name), t("cls.tree_done"))
            elif op == "move":
                node = st.selectbox(t("cls.f_node"), ids, format_func=label, key="cls_t_move_node")
                parent = st.selectbox(t("cls.f_parent"), [None] + ids, key="cls_t_move_parent",
                                      format_func=lambda i: t("cls.top_level") if i is None else label(i))
                if st.form_submit_button(t("cls.op_move"), type="primary", disabled=not auth.can(access.TREE)):
                    _run(lambda: catree.move_node(cur, node, parent), t("cls.tree_done"))
            elif op == "merge":
                src = st.selectbox(t("cls.f_merge_from"), ids, format_func=label, key="cls_t_src")
                tgt = st.selectbox(t("cls.f_merge_into"), ids, format_func=label, key="cls_t_tgt")
                if st.form_submit_button(t("cls.op_merge"), type="primary", disabled=not auth.can(access.TREE)):
                    _run(lambda: catree.merge_nodes(cur, src, tgt), t("cls.tree_done"))
            else:
                node = st.selectbox(t("cls.f_node"), ids, format_func=label, key="cls_t_del")
                to = st.selectbox(t("cls.f_reassign"), [None] + ids, key="cls_t_reassign",
                                  format_func=lambda i: t("cls.reassign_none") if i is None else label(i))
                if st.form_submit_button(t("cls.op_delete"), type="primary", disabled=not auth.can(access.TREE)):
                    _run(lambda: catree.delete_node(cur, node, to), t("cls.tree_done"))

        vers = catree.versions(cur, 20)
        u1, u2 = st.columns([3, 1])
        open_versions = vers[~vers.undone]
        if len(open_versions):
            last = open_versions.iloc[0]
            u1.caption(t("cls.last_edit", action=t(f"action.{last.action}"), actor=last.actor,
                         at=fmt.date(last.created_at, lang)))
        if u2.button(t("cls.undo"), key="cls_undo", disabled=open_versions.empty or not auth.can(access.TREE), width="stretch",
                     icon=":material/undo:"):
            _run(lambda: catree.undo(cur), t("cls.undone"))

        st.markdown(f"**{t('cls.tree_files')}**")
        table_downloads(query(catree.export_tree), "Kategoriträd", "spendkollen-kategoritrad", "cls_tree")
        kind_of_file = st.radio(t("cls.tree_file_kind"), ["tree", "cpv"], horizontal=True, key="cls_tree_kind",
                                format_func=lambda v: t(f"cls.tree_file_{v}"))
        tf = file_uploader(t("cls.import_tree"), ["xlsx", "csv"], key="cls_tree_file",
                              help=t("cls.import_tree_help") if kind_of_file == "tree" else t("cls.import_cpv_help"))
        mode = st.radio(t("cls.tree_mode"), ["merge", "replace"], horizontal=True, key="cls_tree_mode",
                        format_func=lambda v: t(f"cls.tree_mode_{v}"))
        if tf is not None and st.button(t("cls.import_go"), key="cls_tree_go", disabled=not auth.can(access.TREE)):
            def _import():
                rows = (catree.read_cpv_file(tf.name, tf.getvalue(), lang=lang) if kind_of_file == "cpv"
                        else catree.read_tree_file(tf.name, tf.getvalue()))
                res = catree.import_tree(cur, rows, replace=mode == "replace", source=tf.name)
                st.session_state[state.CLS_TREE_RESULT] = res
            _run(_import, t("cls.tree_imported", file=fmt.md_escape(tf.name)))

# ------------------------------------------------------------ coverage
if tab_cov.open:
    with tab_cov:
        cov = query(review.coverage)
        lv = cov["levels"]
        kpi_row([(t("cls.level", level=n), fmt.percent(lv[n]["spend_share"], lang),
                  t("cls.level_help", lines=fmt.percent(lv[n]["line_share"], lang))) for n in (1, 2, 3)])
        if not cov["by_unit"].empty:
            show_chart(coverage_bars(cov["by_unit"], cov["target"], title=t("cls.by_unit"), x_title=t("cls.kpi_classified"),
                                          band=t("cls.target_band")), width="stretch", key="cls_cov_chart")
            show_table(cov["by_unit"].rename(columns={"org_unit": t("dim.org_unit")}), hide_index=True, width="stretch",
                         column_config={"spend": st.column_config.NumberColumn(t("cls.col_spend"), format="localized"),
                                        "classified_spend": st.column_config.NumberColumn(t("cls.col_classified_spend"),
                                                                                          format="localized"),
                                        "lines": st.column_config.NumberColumn(t("cls.col_lines"), format="localized"),
                                        "classified_lines": st.column_config.NumberColumn(t("cls.col_classified_lines"),
                                                                                          format="localized"),
                                        "share": st.column_config.ProgressColumn(t("cls.col_share_classified"),
                                                                                 format="percent", min_value=0.0, max_value=1.0)})

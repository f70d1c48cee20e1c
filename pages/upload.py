"""Ladda upp: files -> column mapping -> preview and validation report -> commit; history and undo."""

import datetime as dt
import hashlib
import json

import pandas as pd
import streamlit as st

from analytics import access
from analytics.demo import remove_demo
from analytics.errors import SpendkollenError
from analytics.ingest import (
    FIELDS,
    commit_upload,
    delete_batches,
    list_profiles,
    load_profile,
    map_columns,
    parse_rates,
    plan_upload,
    preview_lines,
    read_file,
    save_profile,
    store_currency,
)
from analytics.ingest.parse import EARLIEST_DATE, latest_date
from analytics.ingest.periods import format_period
from analytics.ledger import has_demo, upload_history
from analytics.store import transaction
from ui import auth, state
from ui import format as fmt
from ui.cache import query
from ui.db import cursor, held_cursor, is_held, release, release_abandoned_upload
from ui.i18n import current_lang, error_text, t, warning_text
from ui.tables import show_table
from ui.widgets import file_uploader

FILE_TYPES = ["csv", "txt", "tsv", "xlsx", "xlsm", "xls", "ods", "parquet"]
lang = current_lang()
cur = cursor()

st.title(t("upload.title"))
auth.read_only(access.UPLOAD)
st.caption(t("upload.intro"))
done = st.session_state.pop(state.LAST_RESULT, None)
if done:
    st.success(done, icon=":material/check_circle:")

nonce = st.session_state.get(state.UPLOAD_NONCE, 0)
uploaded = file_uploader(t("upload.files"), FILE_TYPES, accept_multiple_files=True, key=f"uploader_{nonce}", help=t("upload.files_help"))

c1, c2, c3, c4, c5 = st.columns(5)
profiles = query(list_profiles)
profile = c1.selectbox(t("upload.profile"), [""] + profiles, key="up_profile",
                       format_func=lambda p: p or t("upload.profile_none"))
period = c2.text_input(t("upload.period"), key="up_period", help=t("upload.period_help"),
                       placeholder="2016-03 / 2016-Q1").strip() or None
held = query(store_currency)
currencies = ["SEK", "EUR", "NOK", "DKK", "GBP", "USD"]
if held and held not in currencies:
    currencies.insert(0, held)
currency = c3.selectbox(t("upload.currency"), currencies, key="up_currency",
                        index=currencies.index(held) if held else 0,
                        help=t("upload.store_currency", currency=held) if held else None)
order = c4.selectbox(t("upload.date_order"), ["auto", "dmy", "mdy"], key="up_date_order",
                     format_func=lambda o: t(f"upload.date_order_{o}"))
decimal = c5.selectbox(t("upload.decimal"), ["auto", ",", "."], key="up_decimal",
                       format_func=lambda d: t({"auto": "upload.decimal_auto", ",": "upload.decimal_comma",
                                                ".": "upload.decimal_point"}[d]))
target_currency = held or currency
with st.expander(t("upload.rates"), expanded=bool(st.session_state.get(state.RATES_OPEN)) or currency != target_currency):
    st.caption(t("upload.rates_help", currency=target_currency))
    rate_rows = st.data_editor(
        pd.DataFrame({"currency": pd.Series(dtype="str"), "month": pd.Series(dtype="str"),
                      "rate": pd.Series(dtype="str")}),
        num_rows="dynamic", key="up_rates", hide_index=True, width="stretch",
        column_config={"currency": st.column_config.TextColumn(t("upload.rate_currency"), max_chars=3),
                       "month": st.column_config.TextColumn(t("upload.rate_month")),
                       "rate": st.column_config.TextColumn(t("upload.rate_value", currency=target_currency),
                                                           help=t("upload.rate_value_help"))})
rate_specs = [{"currency": r["currency"], "month": r["month"], "rate": r["rate"]}
              for r in rate_rows.to_dict("records")
              if isinstance(r.get("currency"), str) and r["currency"].strip()]


if not uploaded:
    release_abandoned_upload()
else:
    files = [(f.name, f.getvalue()) for f in uploaded]
    shas = {name: hashlib.sha256(data).hexdigest() for name, data in files}
    read_cache = st.session_state.setdefault(state.RAW_CACHE, {})
    for key in list(read_cache):
        if key not in shas.values():
            del read_cache[key]
    profile_mapping = load_profile(cur, profile)["mapping"] if profile else None
    overrides, raws, failed = {}, {}, False
    for name, data in files:
        sha = shas[name]
        if sha not in read_cache:
            try:
                read_cache[sha] = read_file(name, data)
            except SpendkollenError as exc:
                st.error(error_text(exc), icon=":material/error:")
                failed = True
                continue
        raw = read_cache[sha]
        raws[name] = raw
        auto = map_columns(raw, None, profile_mapping)
        with st.expander(t("upload.mapping_for", file=fmt.md_escape(name)),
                         expanded=len(files) == 1 or not raw.header_recognised):
            if not raw.header_recognised:
                st.info(t("upload.no_header", file=fmt.md_escape(name)), icon=":material/table_view:")
            st.caption(t("upload.mapping_help"))
            options = [""] + [h for h in raw.headers if h]
            cols = st.columns(4)
            chosen = {}
            for i, field in enumerate(FIELDS):
                current = auto.header_of(field, raw.headers)
                chosen[field] = cols[i % 4].selectbox(
                    t(f"field.{field}"), options, index=options.index(current) if current in options else 0,
                    key=f"map_{sha[:16]}_{field}", format_func=lambda h: h or t("upload.unmapped")) or None
        overrides[name] = chosen
    if failed:
        release_abandoned_upload()
        st.stop()

    allow_dates = bool(st.session_state.get(state.ALLOW_DATES))
    plan_key = json.dumps([sorted(shas.values()), overrides, period, currency, profile, order, decimal,
                           rate_specs, allow_dates], sort_keys=True, default=str)
    pending = st.session_state.get(state.PENDING_UPLOAD)
    if not pending or pending["key"] != plan_key or not is_held(pending["cursor"]):
        release_abandoned_upload()
        work = held_cursor()        # its staged lines stay until the upload is confirmed or dropped
        bar = st.progress(0.0, text=t("upload.reading"))
        try:
            plan = plan_upload(work, files, period=period, currency=currency, overrides=overrides, raws=raws,
                               date_order=None if order == "auto" else order,
                               decimal=None if decimal == "auto" else decimal, rates=parse_rates(rate_specs),
                               allow_dates_outside=allow_dates,
                               progress=lambda share, name: bar.progress(min(share, 1.0), text=t("upload.reading_file", file=fmt.md_escape(name)) if name else t("upload.reading")))
        except SpendkollenError as exc:
            release(work)
            bar.empty()
            if exc.code in ("currency_rate_missing", "bad_rate"):
                st.session_state[state.RATES_OPEN] = True
            st.error(error_text(exc), icon=":material/error:")
            if "junk_date_range" in exc.params.get("kinds", []):
                st.checkbox(t("upload.allow_dates", earliest=fmt.date(EARLIEST_DATE, lang),
                              latest=fmt.date(latest_date(), lang)), key=state.ALLOW_DATES)
            st.stop()
        except BaseException:
            release(work)
            raise
        bar.empty()
        pending = {"key": plan_key, "cursor": work, "plan": plan}
        st.session_state[state.PENDING_UPLOAD] = pending
    plan, work = pending["plan"], pending["cursor"]

    st.subheader(t("upload.report"))
    kpis = st.columns(4)
    kpis[0].metric(t("upload.files_n"), fmt.number(len(plan.files), lang))
    kpis[1].metric(t("kpi.lines"), fmt.number(plan.lines, lang))
    kpis[2].metric(t("upload.total"), fmt.money(plan.total, lang, currency))
    months = plan.months
    kpis[3].metric(t("upload.periods"), f"{format_period(months[0], 'month')} – {format_period(months[-1], 'month')}" if months else "–")
    for i, f in enumerate(plan.files):
        rep = f.parsed.report
        counts = rep["counts"]
        with st.container(border=True):
            st.markdown(f"**{fmt.md_escape(f.parsed.file_name)}** · " + t("upload.file_summary", lines=fmt.number(f.parsed.lines, lang),
                        total=fmt.money(f.parsed.total, lang, currency), excluded=fmt.number(rep["excluded_rows"], lang),
                        credits=fmt.number(rep["credit_notes"], lang)))
            for w in rep["warnings"]:
                st.warning(warning_text(w), icon=":material/warning:")
            org = rep["org_no"]
            if org:
                st.caption(t("upload.org_stats") + " " + ", ".join(
                    f"{t('orgstatus.' + k)}: {fmt.number(v, lang)}" for k, v in sorted(org.items())))
            if rep["samples"]:
                st.markdown(t("upload.rejected_rows"))
                show_table(pd.DataFrame([{t("col.row"): s.get("row"), t("col.problem"): t("kind." + s["kind"]),
                                            t("col.amount"): s.get("amount", ""), t("col.date"): s.get("date", ""),
                                            t("col.supplier"): s.get("supplier", s.get("text", ""))} for s in rep["samples"]]),
                             hide_index=True, width="stretch")
            st.markdown(t("upload.preview"))
            show_table(preview_lines(work, plan, i).rename(columns=lambda c: t(f"col.{c}")), hide_index=True,
                       width="stretch", decimals={t("col.amount"): 2},
                       column_config={t("col.source_row"): st.column_config.NumberColumn()})

    outside = [w for f in plan.files for w in f.parsed.report["warnings"]
               if w["code"] in ("dates_outside", "dates_outside_confirmed")]
    if outside:
        st.checkbox(t("upload.allow_dates", earliest=fmt.date(dt.date.fromisoformat(outside[0]["earliest"]), lang),
                      latest=fmt.date(dt.date.fromisoformat(outside[0]["latest"]), lang)), key=state.ALLOW_DATES)

    demo_present = query(has_demo)
    drop_demo = demo_present and st.checkbox(t("upload.remove_demo"), value=True, key="up_drop_demo")
    # the demo's months go with the demo: only the person's own uploads make a period loaded
    overlap = [o for o in plan.overlap if not (drop_demo and o["is_demo"])]
    choice = "add"
    if overlap:
        st.warning(t("upload.overlap", files=", ".join(sorted({fmt.md_escape(o["file_name"]) for o in overlap})),
                     lines=fmt.number(sum(o["lines"] for o in overlap), lang)), icon=":material/event_repeat:")
        choice = st.radio(t("upload.overlap_question"), ["replace", "add"], index=None, key="up_overlap",
                          format_func=lambda c: t(f"upload.overlap_{c}"))
    save_as = st.text_input(t("upload.save_profile"), key="up_save_profile", placeholder=t("upload.save_profile_ph"))
    if st.button(t("upload.commit"), type="primary", disabled=choice is None or not auth.can(access.UPLOAD_DELETE if choice == "replace" else access.UPLOAD), icon=":material/database_upload:"):
        try:
            with transaction(work):     # the demo goes only if the upload lands: both or neither
                if drop_demo:
                    remove_demo(work)
                commit_upload(work, plan, replace_period=choice == "replace")
                if save_as.strip():
                    save_profile(work, save_as, overrides[plan.files[0].parsed.file_name], {"currency": currency})
        except SpendkollenError as exc:
            st.session_state.pop(state.PENDING_UPLOAD, None)
            release(work)
            st.error(error_text(exc), icon=":material/error:")
            st.stop()
        st.session_state.pop(state.PENDING_UPLOAD, None)
        release(work)
        st.session_state[state.UPLOAD_NONCE] = nonce + 1
        st.session_state[state.LAST_RESULT] = t("upload.done", files=len(plan.files), lines=fmt.number(plan.lines, lang),
                                                total=fmt.money(plan.total, lang, currency))
        st.rerun()

st.divider()
st.subheader(t("upload.history"))
history = query(upload_history)
if not history:
    st.caption(t("upload.history_empty"))
else:
    frame = pd.DataFrame([{
        t("col.file"): h["file_name"] + (f" ({t('upload.demo')})" if h["is_demo"] else ""),
        t("col.uploaded_at"): fmt.date(h["uploaded_at"], lang), t("col.uploaded_by"): h["uploaded_by"],
        t("col.period"): (f"{format_period(h['period_from'], 'month')} – {format_period(h['period_to'], 'month')}"
                          if h["period_from"] else "–"),
        t("col.lines"): h["rows"], t("col.total"): fmt.money(h["total"], lang, h["currency"]),
        t("col.status"): t(f"status.{h['status']}"), t("col.excluded"): h["excluded_rows"],
    } for h in history])
    show_table(frame, hide_index=True, width="stretch")
    loaded = [h for h in history if h["status"] == "loaded"]
    if loaded:
        with st.expander(t("upload.undo")):
            target = st.selectbox(t("upload.undo_pick"), [h["batch_id"] for h in loaded], key="undo_batch",
                                  format_func=lambda b: next(f"{h['file_name']} · {fmt.number(h['rows'], lang)} {t('col.lines').lower()}"
                                                             for h in loaded if h["batch_id"] == b))
            sure = st.checkbox(t("upload.undo_confirm"), key=state.UNDO_SURE)
            if st.button(t("upload.undo_button"), disabled=not sure or not auth.can(access.UPLOAD_DELETE), key="undo_go", icon=":material/delete:"):
                try:
                    removed = delete_batches(cursor(), [target])
                except SpendkollenError as exc:      # e.g. the role changed since the page was drawn
                    st.error(error_text(exc), icon=":material/error:")
                else:
                    st.session_state[state.LAST_RESULT] = t("upload.undone", lines=fmt.number(removed, lang))
                    st.session_state.pop(state.UNDO_SURE, None)
                    st.rerun()
    if query(has_demo) and st.button(t("upload.remove_demo_now"), key="drop_demo_now", disabled=not auth.can(access.UPLOAD), icon=":material/science:"):
        try:
            removed = remove_demo(cursor())
        except SpendkollenError as exc:
            st.error(error_text(exc), icon=":material/error:")
        else:
            st.session_state[state.LAST_RESULT] = t("upload.undone", lines=fmt.number(removed, lang))
            st.rerun()

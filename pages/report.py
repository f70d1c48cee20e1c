"""Styrgruppsrapport: choose period, sections and language, preview the slides, download the
PowerPoint (native charts) and the same content as Excel; a presentation mode shows one slide's
chart at a time, full width, without controls, for screen sharing."""

import pandas as pd
import streamlit as st

from analytics import access
from analytics import report as rp
from analytics.ledger import has_data
from ui import auth, state
from ui.cache import query
from ui.charts.slide import slide_chart
from ui.db import cursor, deferred
from ui.format import md_escape
from ui.i18n import current_lang, t
from ui.tables import show_table
from ui.widgets import empty_state, file_uploader, run_edit, show_chart, show_done

cur = cursor()
lang = current_lang()
if not query(has_data):
    st.title(t("rep.title"))
    empty_state(st.session_state[state.PAGES]["upload"])
    st.stop()

filters = st.session_state.get(state.FILTERS)
present = st.session_state.get(state.REP_PRESENT, False)


if present:
    # presentation mode: no sidebar, no controls but the slide stepper
    st.markdown("<style>[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'] {display: none;}</style>",
                unsafe_allow_html=True)
    report = st.session_state.get(state.REP_REPORT)
    report_lang = report.lang if report else lang
    slides = [s for s in report.slides[1:] if s.chart] if report else []
    i = min(st.session_state.get(state.REP_SLIDE, 0), max(0, len(slides) - 1))
    if slides:
        sl = slides[i]
        st.header(sl.title)
        st.caption(sl.chart.caption)
        show_chart(slide_chart(sl.chart, 640, report_lang), width="stretch", key="rep_present_fig")
        if sl.note:
            st.caption(sl.note)
    c1, c2, c3 = st.columns([1, 1, 6])
    if c1.button("◀", key="rep_prev", disabled=i == 0):
        st.session_state[state.REP_SLIDE] = i - 1
        st.rerun()
    if c2.button("▶", key="rep_next", disabled=i >= len(slides) - 1):
        st.session_state[state.REP_SLIDE] = i + 1
        st.rerun()
    if c3.button(t("rep.exit"), key="rep_exit"):
        st.session_state[state.REP_PRESENT] = False
        st.rerun()
    st.stop()

st.title(t("rep.title"))
st.caption(t("rep.intro"))
c1, c2, c3 = st.columns([3, 2, 2])
sections = c1.multiselect(t("rep.sections"), list(rp.SECTIONS), placeholder=t("ui.choose_options"), default=list(rp.SECTIONS), key="rep_sections",
                          format_func=lambda s: t(f"rep.section_{s}"))
report_lang = c2.segmented_control(t("rep.language"), ["sv", "en"], default=lang, key="rep_lang",
                                   format_func=lambda v: t(f"rep.lang_{v}")) or lang
org = c3.text_input(t("rep.org"), key="rep_org", placeholder=t("rep.default_org"))
period_from = filters.period_from if filters else None
period_to = filters.period_to if filters else None
st.caption(t("rep.period_hint"))

report = query(rp.build, period_from, period_to, lang=report_lang, sections=tuple(sections), org=org,
                  scope=getattr(st.session_state.get(state.FILTERS), "scope", "influenceable"))
st.session_state[state.REP_REPORT] = report

d1, d2, d4, d3 = st.columns([3, 2, 2, 2])
d1.download_button(t("rep.download_pptx"), data=deferred(lambda c, r=report: rp.write(c, r, "pptx")), file_name="styrgruppsrapport.pptx",
                   mime="application/vnd.openxmlformats-officedocument.presentationml.presentation", key="rep_pptx",
                   type="primary", icon=":material/slideshow:")
d2.download_button(t("rep.download_xlsx"), data=deferred(lambda c, r=report: rp.write(c, r, "xlsx")), file_name="styrgruppsrapport.xlsx",
                   key="rep_xlsx", icon=":material/table:")
d4.download_button(t("rep.download_pdf"), data=deferred(lambda c, r=report: rp.write(c, r, "pdf")), file_name="styrgruppsrapport.pdf",
                   mime="application/pdf", key="rep_pdf", icon=":material/picture_as_pdf:")
if d3.button(t("rep.present"), key="rep_present_btn", icon=":material/present_to_all:"):
    st.session_state[state.REP_PRESENT] = True
    st.session_state[state.REP_SLIDE] = 0
    st.rerun()

with st.expander(t("rep.template"), icon=":material/palette:"):
    st.caption(t("rep.template_intro"))
    current = query(rp.stored_template)
    if current:
        st.info(t("rep.template_current", name=md_escape(current["name"]), at=f"{current['at']:%Y-%m-%d %H:%M}",
                  by=md_escape(current["by"])), icon=":material/check_circle:")
    else:
        st.caption(t("rep.template_none"))
    upload = file_uploader(t("rep.template_upload"), ["pptx", "potx"], key="rep_template_file")
    t1, t2 = st.columns(2)
    if t1.button(t("rep.template_save"), key="rep_template_save", disabled=upload is None or not auth.can(access.SETTINGS), type="primary"):
        run_edit(lambda: rp.save_template(cur, upload.name, upload.getvalue()),
                 lambda: t("rep.template_saved", name=md_escape(upload.name)))
    if current and t2.button(t("rep.template_remove"), key="rep_template_remove", disabled=not auth.can(access.SETTINGS)):
        run_edit(lambda: rp.remove_template(cur), t("rep.template_removed"))
show_done()

st.subheader(t("rep.preview"))
for n, sl in enumerate(report.slides, start=1):
    with st.container(border=True):
        st.markdown(f"**{n}. {md_escape(sl.title)}**")
        if sl.section == "title":
            st.write("  \n".join(md_escape(b) for b in sl.bullets))
            continue
        side = sl.table is not None or (sl.bullets and sl.chart is not None and sl.chart.kind != "bubble")
        cols = st.columns([3, 2]) if side and sl.chart is not None else [st.container()]
        if sl.chart is not None:
            cols[0].caption(sl.chart.caption)
            show_chart(where=cols[0], fig=slide_chart(sl.chart, 320, report_lang), width="stretch", key=f"rep_prev_{n}")
        elif sl.message:
            cols[0].subheader(sl.message)
        if sl.table is not None:
            with cols[-1]:
                show_table(pd.DataFrame(sl.table.texts(report_lang), columns=[c.header for c in sl.table.columns]),
                           hide_index=True, width="stretch")
        elif sl.bullets and sl.chart is not None and sl.chart.kind != "bubble":
            cols[-1].markdown("\n".join(f"- {md_escape(b)}" for b in sl.bullets))
        if sl.note:
            st.caption(sl.note)

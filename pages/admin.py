"""Användare och roller (administrators): who may sign in with which role."""

import pandas as pd
import streamlit as st

from analytics import access
from analytics import users as us
from ui import auth
from ui import format as fmt
from ui.cache import query
from ui.db import cursor
from ui.i18n import current_lang, t
from ui.widgets import run_edit, show_done

cur = cursor()
lang = current_lang()
st.title(t("adm.title"))
show_done()
if not auth.team_mode():
    st.info(t("adm.local"), icon=":material/info:")
st.caption(t("adm.intro"))
st.markdown(t("adm.roles"))
if auth.read_only(access.USERS):
    st.stop()

ROLE_LABEL = {r: t(f"role.{r}") for r in access.ROLES}
ROLE_OF = {v: k for k, v in ROLE_LABEL.items()}
people = query(us.list_users)
if people.empty:
    st.info(t("adm.none"))
else:
    frame = pd.DataFrame({
        "email": people.email, "name": people.name.fillna(""), "role": people.role.map(ROLE_LABEL),
        "added": [fmt.date(v, lang) for v in people.added_at], "added_by": [t("adm.by_sign_in") if v == "sign-in" else v for v in people.added_by],
        "last_seen": [fmt.date(v, lang) if pd.notna(v) else "" for v in people.last_seen]})
    edited = st.data_editor(
        frame, hide_index=True, width="stretch", key="adm_roles", disabled=["email", "name", "added", "added_by", "last_seen"],
        column_config={"email": t("adm.email"), "name": t("adm.name"), "added": t("adm.added"),
                       "added_by": t("adm.added_by"), "last_seen": t("adm.last_seen"),
                       "role": st.column_config.SelectboxColumn(t("adm.role"), options=list(ROLE_LABEL.values()),
                                                                required=True)})
    changes = [(e, ROLE_OF[new]) for e, old, new in zip(frame.email, frame.role, edited.role) if new != old]
    if st.button(t("adm.save"), type="primary", disabled=not changes, key="adm_save"):
        def _save():
            # promotions first, so moving the administrator role from one person to another works
            for email, role in sorted(changes, key=lambda c: c[1] != "admin"):
                us.set_role(cur, email, role)
        run_edit(_save, t("adm.saved", n=len(changes)))

c1, c2 = st.columns(2)
with c1.form("adm_add", clear_on_submit=True, border=True):
    st.subheader(t("adm.add"))
    email = st.text_input(t("adm.email"), key="adm_add_email")
    name = st.text_input(t("adm.name"), key="adm_add_name")
    role = st.selectbox(t("adm.role"), list(ROLE_LABEL.values()), index=access.ROLES.index("reader"), key="adm_add_role")
    if st.form_submit_button(t("adm.add_button")):
        run_edit(lambda: us.add_user(cur, email, name, ROLE_OF[role]),
                 lambda: t("adm.added_ok", email=fmt.md_escape(us.normal_email(email)), role=role))
if not people.empty:
    with c2.form("adm_remove", border=True):
        st.subheader(t("adm.remove"))
        who = st.selectbox(t("adm.email"), list(people.email), key="adm_remove_email")
        if st.form_submit_button(t("adm.remove_button")):
            run_edit(lambda: us.remove_user(cur, who), t("adm.removed", email=fmt.md_escape(who)))

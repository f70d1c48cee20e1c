"""Sign-in: who uses this session, and the two ways the dashboard runs.

- **Team mode**: an ``[auth]`` section in ``.streamlit/secrets.toml`` (OpenID Connect: Entra ID,
  Keycloak, any OIDC provider; see README). Nobody sees a page before signing in through
  ``st.login``; the person's name and e-mail come from the provider's identity token, their role
  from the store (analytics.users). The first person to sign in to a new store is its
  administrator.
- **Local mode**: no ``[auth]`` section. One person on this machine (the server listens on
  127.0.0.1 only, see ui.serve), acting as administrator under their login name; the sidebar
  says so.

Either way analytics.access asks ``_session_actor`` who is acting, so a write is checked in the
core against the person of the session that made it.
"""

from __future__ import annotations

import streamlit as st

from analytics import access
from analytics import users as us

from .i18n import t
from .state import ACTOR, SIGNED_IN_AS

# what in the identity token names the person, in order (Entra ID may leave out "email")
EMAIL_CLAIMS = ("email", "preferred_username", "upn")


def providers() -> list[str | None]:
    """The configured sign-in providers: [None] for one in [auth] itself, the names of
    [auth.NAME] sections, [] when sign-in is not configured (local mode)."""
    try:
        from streamlit.auth_util import get_secrets_auth_section
        section = get_secrets_auth_section()
    except Exception:       # no secrets file, or one that does not parse: local mode
        return []
    if not section:
        return []
    named = [k for k, v in section.items() if hasattr(v, "items") and "client_id" in v]
    if "client_id" in section:
        return [None, *named]
    return named


def team_mode() -> bool:
    return bool(providers())


def _session_actor() -> access.Actor | None:
    """The acting person of the session whose script (or callback) runs in this thread; None
    outside one (a download built later, a background thread): such code may only read."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    if get_script_run_ctx() is None:
        return None
    return st.session_state.get(ACTOR)


def _identity() -> tuple[str | None, str]:
    info = st.user.to_dict()
    email = next((str(info[c]) for c in EMAIL_CLAIMS if info.get(c) and "@" in str(info[c])), None)
    name = str(info.get("name") or "").strip()
    return email, name


def gate(cur) -> access.Actor:
    """The acting person of this run. In team mode a visitor who has not signed in gets the
    sign-in page and the run stops there; a signed-in person is recorded (the first of a new store
    as administrator) and their role read again on every run, so a role given by an administrator
    counts at once."""
    if not team_mode():
        access.set_provider(None)       # the machine's user acts, as on the command line
        actor = access.local_user()
        st.session_state[ACTOR] = actor
        return actor
    access.set_provider(_session_actor)
    if not st.user.is_logged_in:
        st.session_state.pop(ACTOR, None)
        _sign_in_page()
        st.stop()
    email, name = _identity()
    if not email:
        st.session_state.pop(ACTOR, None)
        st.error(t("auth.no_email"), icon=":material/error:")
        if st.button(t("auth.sign_out")):
            st.logout()
        st.stop()
    actor = us.actor_for(cur, email, name) if st.session_state.get(SIGNED_IN_AS) == email else None
    if actor is None:                   # this session's first run, or the person was removed
        actor = us.sign_in(cur, email, name)
        st.session_state[SIGNED_IN_AS] = email
    st.session_state[ACTOR] = actor
    return actor


def _sign_in_page() -> None:
    st.title(t("auth.title"))
    st.write(t("auth.intro"))
    for provider in providers():
        label = t("auth.sign_in") if provider is None else t("auth.sign_in_with", provider=provider.capitalize())
        if st.button(label, type="primary", key=f"sign_in_{provider or 'default'}", icon=":material/login:"):
            st.login(provider) if provider else st.login()


def sidebar(actor: access.Actor) -> None:
    """Who is signed in and their role (with a sign-out), or the local mode's label."""
    if actor.local:
        st.sidebar.caption(t("auth.local_mode", name=actor.name))
        return
    st.sidebar.caption(t("auth.signed_in", name=actor.name or actor.email, role=t(f"role.{actor.role}")))
    if st.sidebar.button(t("auth.sign_out"), key="sign_out", icon=":material/logout:"):
        st.logout()


def can(permission: str) -> bool:
    """Whether the acting person may make this kind of change (to offer the form at all; the
    core checks again when it is saved)."""
    return access.current().can(permission)


def read_only(permission: str) -> bool:
    """True (after saying so once, under the heading of the section) when the acting person's
    role may not make this kind of change: the page shows the figures without the form."""
    if can(permission):
        return False
    actor = access.current()
    st.info(t("auth.read_only", role=t(f"role.{actor.role}") if actor.role else t("auth.nobody"),
              what=t(f"perm.{permission}")), icon=":material/visibility:")
    return True

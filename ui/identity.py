"""The person using the app: signed in through Streamlit's OIDC login when `[auth]` is
configured in `.streamlit/secrets.toml`, otherwise one local admin (with a visible notice).

`resolve` is called afresh by the entry file and by every button callback, so a permission
check always sees the current sign-in and the current roles file."""

from __future__ import annotations

import streamlit as st

from engine.access import Identity, local_admin, resolve_identity
from engine.errors import BadInputError
from engine.settings import Settings

AUTH_OFF_NOTICE = "Authentication is off: everyone using this app acts as a local admin."


def auth_configured() -> bool:
    """True when `st.secrets` has an `[auth]` section; a missing secrets file means no."""
    try:
        return "auth" in st.secrets
    except Exception:  # StreamlitSecretNotFoundError, or an unreadable secrets file
        return False


def logged_in() -> bool:
    return bool(st.user.get("is_logged_in"))


def resolve(settings: Settings) -> Identity | None:
    """The current identity; None when login is configured and nobody is signed in (or the
    provider gave no e-mail). Raises BadInputError when the roles file is unusable."""
    if not auth_configured():
        return local_admin()
    if not logged_in():
        return None
    email = st.user.get("email")
    if not isinstance(email, str) or not email.strip():
        return None
    name = st.user.get("name")
    return resolve_identity(
        email.strip(), name if isinstance(name, str) else None, settings.roles_file, authenticated=True
    )


def gate(settings: Settings) -> Identity:
    """For the entry file: the identity to serve, or the page stops (refusal, login, or an
    unusable roles file)."""
    configured = auth_configured()
    if settings.require_auth and not configured:
        st.error(
            "This app requires sign-in (`REQUIRE_AUTH` is on), but no login is configured. Add an "
            "`[auth]` section to `.streamlit/secrets.toml` with `redirect_uri`, `cookie_secret`, "
            "`client_id`, `client_secret` and `server_metadata_url` for your OIDC provider, install "
            '`pip install "streamlit[auth]"`, and restart the app.',
            icon=":material/lock:",
        )
        st.stop()
    if configured and not logged_in():
        st.title("Patchwave")
        st.info("Sign in to use Patchwave.", icon=":material/login:")
        st.button("Log in", on_click=st.login, type="primary", key="pw_login")
        st.stop()
    try:
        who = resolve(settings)
    except BadInputError as exc:
        st.error(f"Access roles could not be read: {exc}", icon=":material/error:")
        st.stop()
    if who is None:
        st.error("Your sign-in did not provide an e-mail address, so no role can be given.")
        st.button("Log out", on_click=st.logout, key="pw_logout_noemail")
        st.stop()
    return who


def sidebar(who: Identity) -> None:
    """Who is signed in and with which role; the notice when authentication is off."""
    if who.authenticated:
        st.caption(f":material/person: {who.email} · {who.role.name}")
        st.button("Log out", on_click=st.logout, key="pw_logout", icon=":material/logout:")
    else:
        st.warning(AUTH_OFF_NOTICE, icon=":material/lock_open:")

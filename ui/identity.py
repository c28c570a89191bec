"""The person using the app: signed in through Streamlit's OIDC login when `[auth]` is
configured in `.streamlit/secrets.toml`, otherwise one local admin (with a visible notice).

`resolve` is called afresh by the entry file and by every button callback, so a permission
check always sees the current sign-in and the current roles file.

Without sign-in everyone who reaches the server is that admin, so the app then serves only
while it listens on loopback (`server.address`), unless the operator allows otherwise
(`ALLOW_UNAUTHENTICATED_REMOTE`). A signed-in identity gets a role only when its provider
vouches for the e-mail address (`email_verified`)."""

from __future__ import annotations

import streamlit as st

from engine.access.roles import (
    EmailClaim,
    Identity,
    email_claim,
    is_loopback_address,
    local_admin,
    resolve_identity,
)
from engine.core.errors import BadInputError
from engine.settings.environment import Settings
from ui.markup import code, md

AUTH_OFF_NOTICE = "Authentication is off: everyone using this app acts as a local admin."
REMOTE_NO_AUTH_NOTICE = (
    "This app is reachable from the network without login: anyone who can reach its address "
    "acts as the local admin (`ALLOW_UNAUTHENTICATED_REMOTE` is on)."
)
NO_EMAIL = "Your sign-in did not provide an e-mail address, so no role can be given."
UNVERIFIED_EMAIL = (
    "Your sign-in provider says this e-mail address is not verified, so no role can be given. "
    "Verify the address with your provider, then sign in again."
)
UNSTATED_EMAIL = (
    "Your sign-in provider did not say whether this e-mail address is verified (its token has no "
    "`email_verified` claim), so no role can be given. If the provider never sends that claim, the "
    "operator can set `ALLOW_MISSING_EMAIL_VERIFIED=true` and restart the app."
)


def auth_configured() -> bool:
    """True when `st.secrets` has an `[auth]` section; a missing secrets file means no."""
    try:
        return "auth" in st.secrets
    except Exception:  # StreamlitSecretNotFoundError, or an unreadable secrets file
        return False


def logged_in() -> bool:
    return bool(st.user.get("is_logged_in"))


def listen_address() -> str:
    """The address the server listens on (`server.address`); empty means every interface."""
    return str(st.get_option("server.address") or "").strip()


def network_reachable() -> bool:
    return not is_loopback_address(listen_address())


def local_admin_allowed(settings: Settings) -> bool:
    """Whether the app may serve without sign-in: on loopback, or where the operator said so."""
    return not network_reachable() or settings.allow_unauthenticated_remote


def _signed_in_email() -> str | None:
    email = st.user.get("email")
    return email.strip() if isinstance(email, str) and email.strip() else None


def _sign_in_problem(settings: Settings) -> str | None:
    """Why the signed-in identity gets no role (no e-mail, or one its provider does not vouch
    for), or None when it gets one."""
    if _signed_in_email() is None:
        return NO_EMAIL
    claim = email_claim(st.user.get("email_verified"))
    if claim is EmailClaim.unverified:
        return UNVERIFIED_EMAIL
    if claim is EmailClaim.absent and not settings.allow_missing_email_verified:
        return UNSTATED_EMAIL
    return None


def resolve(settings: Settings) -> Identity | None:
    """The current identity; None when login is configured and nobody is signed in, or the
    provider gave no e-mail or did not vouch for it, and when login is off on an address the
    network reaches (unless allowed). Raises BadInputError when the roles file is unusable."""
    if not auth_configured():
        return local_admin() if local_admin_allowed(settings) else None
    if not logged_in():
        return None
    email = _signed_in_email()
    if email is None or _sign_in_problem(settings) is not None:
        return None
    name = st.user.get("name")
    return resolve_identity(
        email, name if isinstance(name, str) else None, settings.roles_file, authenticated=True
    )


def _refuse_remote_without_auth() -> None:
    address = listen_address()
    where = f"on {code(address)}" if address else "on every network interface"
    st.error(
        f"**Patchwave refuses to serve: it listens {where} and sign-in is off**, so anyone who can "
        "reach this port would act as the local admin. Do one of these and restart the app:\n\n"
        "- listen on this machine only: drop `--server.address` and `STREAMLIT_SERVER_ADDRESS` (the "
        'project\'s `.streamlit/config.toml` sets `address = "127.0.0.1"`; run the app from the '
        "project folder so it is read);\n"
        "- configure sign-in: an `[auth]` section in `.streamlit/secrets.toml` (see the README);\n"
        "- on a network you trust, serve it without sign-in anyway: set "
        "`ALLOW_UNAUTHENTICATED_REMOTE=true`.",
        icon=":material/lan:",
    )
    st.stop()


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
    if not configured and not local_admin_allowed(settings):
        _refuse_remote_without_auth()
    if configured and not logged_in():
        st.title("Patchwave")
        st.info("Sign in to use Patchwave.", icon=":material/login:")
        st.button("Log in", on_click=st.login, type="primary", key="pw_login")
        st.stop()
    if configured and (problem := _sign_in_problem(settings)) is not None:
        st.error(problem, icon=":material/gpp_bad:")
        st.button("Log out", on_click=st.logout, key="pw_logout_refused")
        st.stop()
    try:
        who = resolve(settings)
    except BadInputError as exc:
        st.error(f"Access roles could not be read: {md(exc)}", icon=":material/error:")
        st.stop()
    assert who is not None  # signed in, with an e-mail its provider vouches for
    return who


def sidebar(who: Identity) -> None:
    """Who is signed in and with which role; the notices when authentication is off."""
    if who.authenticated:
        st.caption(f":material/person: {code(who.email)} · {md(who.role.name)}")
        st.button("Log out", on_click=st.logout, key="pw_logout", icon=":material/logout:")
    else:
        st.warning(AUTH_OFF_NOTICE, icon=":material/lock_open:")
        if network_reachable():
            st.error(REMOTE_NO_AUTH_NOTICE, icon=":material/public:")

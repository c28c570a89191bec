"""Policy: the services file (importance, tags, session caps) and the cross-run policy file
(SLAs, session budgets, retries, objectives). Admins only; the engine checks every value
before anything is written, and every change is audited."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine.access.roles import Action
from engine.core.acu_caps import MAX_ACU_CAP
from engine.core.errors import BadInputError
from engine.core.models import FindingCategory, Severity
from engine.policy import IMPORTANCE_WORDS, ServiceCatalog
from ui import components as c
from ui import context, loaders, policy_actions, policy_forms

c.page_header(
    "Policy",
    ":material/gavel:",
    "How much each service matters, and the rules every run plans with: SLAs, session budgets, "
    "retries, objectives and ACU caps. Each change is recorded in the audit log.",
)
if not context.allowed(Action.change_settings):  # the page is only offered to admins; check anyway
    st.error("Only admins can change the services and the policy.", icon=":material/block:")
    st.stop()

s = context.settings()
st.info(
    f"Services file: {c.code(s.services_file)}. Policy file: {c.code(s.policy_file)}. Saving "
    "rewrites the whole file (comments are not kept). New runs plan with the saved values; runs "
    "already running keep what they started with.",
    icon=":material/info:",
)


def services_tab() -> None:
    try:
        catalog = loaders.services(s)
    except BadInputError as exc:
        st.error(
            f"The services file could not be read: {c.md(exc)}. Fix it by hand.", icon=":material/error:"
        )
        return
    st.caption(
        f"Importance is {'/'.join(IMPORTANCE_WORDS)} or a number 0-100 (services not listed count "
        f"{catalog.unlisted_importance}; `default_importance` in the file sets that). It is the service's "
        "part of every finding's priority score. Tags are comma-separated. An empty session cap uses the "
        "policy's per-service cap. Rows without a name are ignored."
    )
    rows = policy_forms.service_rows(catalog)
    st.session_state[policy_actions.SERVICES_BASE_KEY] = rows
    table = pd.DataFrame(rows, columns=policy_forms.SERVICE_COLUMNS)
    table["max_sessions_per_run"] = table["max_sessions_per_run"].astype("Int64")
    with st.form("policy_services_form"):
        st.data_editor(
            table,
            num_rows="dynamic",
            hide_index=True,
            key=policy_actions.SERVICES_EDITOR_KEY,
            column_config={
                "name": st.column_config.TextColumn("Service", required=True),
                "importance": st.column_config.TextColumn(
                    "Importance", default="medium", help="critical, high, medium, low, or 0-100."
                ),
                "tags": st.column_config.TextColumn("Tags", help="Comma-separated, e.g. pci, tier-1."),
                "max_sessions_per_run": st.column_config.NumberColumn(
                    "Max sessions per run", min_value=0, step=1, format="%d", help="Empty: no own cap."
                ),
            },
        )
        st.form_submit_button(
            "Save services", type="primary", on_click=policy_actions.save_services, key="policy_save_services"
        )
    agent_overrides(catalog)


def agent_overrides(catalog: ServiceCatalog) -> None:
    st.markdown("**Agent overrides**: what every agent session of a service is told")
    if not catalog.names:
        st.caption("Add a service to the table above first.")
        return
    st.caption(
        "Sent in that service's prompts, in a section attributed to the services file, apart from the "
        "scanner's data. Paths one per line; reviewers comma-separated (users or @org/team). Empty "
        "fields send nothing."
    )
    service = st.selectbox("Service", catalog.names, key="policy_agent_service")
    values = policy_forms.agent_values(catalog, service)
    key = policy_actions.agent_field_key
    with st.form("policy_agent_form"):
        st.text_area("Extra instructions", value=values["instructions"], key=key(service, "instructions"))
        cols = st.columns(2)
        cols[0].text_area(
            "Files or paths the agent must not touch",
            value=values["do_not_touch"],
            key=key(service, "do_not_touch"),
            help="One per line, e.g. migrations/ or src/legacy/**.",
        )
        with cols[1]:
            st.text_input(
                "Test command",
                value=values["test_command"],
                key=key(service, "test_command"),
                help="Run before the pull request is opened; it must pass.",
            )
            st.text_input(
                "Reviewers",
                value=values["reviewers"],
                key=key(service, "reviewers"),
                help="Asked to review the pull request, e.g. alice, @acme/payments-team.",
            )
        st.form_submit_button(
            "Save overrides",
            type="primary",
            on_click=policy_actions.save_service_agent,
            args=(service,),
            key="policy_save_agent",
        )


def _number(label: str, field: str, value: object, help: str | None = None, **bounds: object) -> None:
    st.number_input(label, value=value, key=policy_actions.policy_field_key(field), help=help, **bounds)  # type: ignore[call-overload]


def objectives_editor(policy_rows: list[dict[str, object]]) -> None:
    st.session_state[policy_actions.OBJECTIVES_BASE_KEY] = policy_rows
    table = pd.DataFrame(policy_rows, columns=policy_forms.OBJECTIVE_COLUMNS)
    table["fraction"] = table["fraction"].astype("Float64")
    table["baseline"] = table["baseline"].astype("Int64")
    table["active"] = table["active"].astype("boolean")
    st.data_editor(
        table,
        num_rows="dynamic",
        hide_index=True,
        key=policy_actions.OBJECTIVES_EDITOR_KEY,
        column_config={
            "id": st.column_config.TextColumn("Id", required=True),
            "title": st.column_config.TextColumn("Title"),
            "kind": st.column_config.SelectboxColumn(
                "Kind", options=["eliminate", "reduce"], default="eliminate"
            ),
            "severity": st.column_config.SelectboxColumn("Severity", options=[v.value for v in Severity]),
            "category": st.column_config.SelectboxColumn(
                "Category", options=[v.value for v in FindingCategory]
            ),
            "fraction": st.column_config.NumberColumn(
                "Fraction",
                min_value=0.0,
                max_value=1.0,
                step=0.05,
                help="reduce: the share of the baseline to remove.",
            ),
            "baseline": st.column_config.NumberColumn(
                "Baseline", min_value=0, step=1, format="%d", help="Empty: the count at the first import."
            ),
            "active": st.column_config.CheckboxColumn("Active", default=True),
        },
    )


def acu_caps_editor(rows: list[dict[str, object]], default_cap: int) -> None:
    st.session_state[policy_actions.ACU_CAPS_BASE_KEY] = rows
    table = pd.DataFrame(rows, columns=policy_forms.ACU_CAP_COLUMNS)
    table["max_acu"] = table["max_acu"].astype("Int64")
    st.data_editor(
        table,
        num_rows="dynamic",
        hide_index=True,
        key=policy_actions.ACU_CAPS_EDITOR_KEY,
        column_config={
            "category": st.column_config.SelectboxColumn(
                "Category", options=[v.value for v in FindingCategory], help="Empty: any category."
            ),
            "severity": st.column_config.SelectboxColumn(
                "Severity", options=[v.value for v in Severity], help="Empty: any severity."
            ),
            "max_acu": st.column_config.NumberColumn(
                "Max ACU",
                min_value=1,
                max_value=MAX_ACU_CAP,
                step=1,
                format="%d",
                help="Sent as the session's max_acu_limit.",
            ),
        },
    )
    st.caption(
        "The most specific row wins: category and severity, then category, then severity, then a row "
        f"with neither. Findings no row matches get the run setting max_acu_per_session ({default_cap})."
    )


def policy_tab() -> None:
    try:
        policy = loaders.policy(s)
    except BadInputError as exc:
        st.error(f"The policy file could not be read: {c.md(exc)}. Fix it by hand.", icon=":material/error:")
        return
    v = policy_forms.policy_values(policy)
    with st.form("policy_form"):
        st.markdown("**SLA**: days a finding of each severity may stay open")
        cols = st.columns(5)
        for col, field in zip(cols, policy_forms.SLA_FIELDS, strict=False):
            with col:
                _number(field.split(".")[1].capitalize(), field, int(v[field]), min_value=1, step=1)
        with cols[4]:
            _number(
                "At risk from",
                "sla.at_risk_fraction",
                float(v["sla.at_risk_fraction"]),
                "The share of the SLA elapsed from which an open finding counts as at risk.",
                min_value=0.0,
                max_value=1.0,
                step=0.05,
            )
        st.markdown("**Session budget**")
        cols = st.columns(4)
        with cols[0]:
            _number(
                "Global session limit",
                "budget.global_session_limit",
                int(v["budget.global_session_limit"]),
                "Sessions across all runs within the period.",
                min_value=0,
                step=1,
            )
        with cols[1]:
            _number(
                "Period (hours)",
                "budget.global_period_hours",
                float(v["budget.global_period_hours"]),
                min_value=0.0,
            )
        with cols[2]:
            _number(
                "Per-service cap",
                "budget.per_service_cap",
                v["budget.per_service_cap"],
                "Sessions per service per run; empty: no cap.",
                min_value=0,
                step=1,
                placeholder="no cap",
            )
        with cols[3]:
            acu = v["budget.acu_budget_per_run"]
            _number(
                "ACU budget per run",
                "budget.acu_budget_per_run",
                None if acu is None else float(acu),
                "Empty: no budget.",
                min_value=0.0,
                placeholder="no budget",
            )
        st.markdown("**Retries**")
        cols = st.columns(2)
        with cols[0]:
            _number(
                "Max attempts",
                "retry.max_attempts",
                int(v["retry.max_attempts"]),
                "Failed attempts before a finding needs a human.",
                min_value=1,
                step=1,
            )
        cols[1].text_input(
            "Cooldown hours",
            value=str(v["retry.cooldown_hours"]),
            key=policy_actions.policy_field_key("retry.cooldown_hours"),
            help="Wait after the 1st, 2nd, 3rd... failure, comma-separated; the last one repeats.",
        )
        st.markdown("**Objectives** (rows without an id are refused; empty rows are ignored)")
        objectives_editor(policy_forms.objective_rows(policy))
        st.markdown("**ACU caps**: each session's ACU limit by finding category and severity")
        acu_caps_editor(policy_forms.acu_cap_rows(policy), s.max_acu_per_session)
        st.form_submit_button(
            "Save policy", type="primary", on_click=policy_actions.save_policy, key="policy_save"
        )


services, rules = st.tabs(["Services", "Policy"])
with services:
    services_tab()
with rules:
    policy_tab()

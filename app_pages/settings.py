"""Settings: each editable setting's effective value and where it comes from, and a form that
changes the settings file (engine/settings/file.py). Admins only; every change is audited."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine.access.roles import Action
from engine.core.errors import BadInputError
from engine.settings.environment import Settings
from engine.settings.file import EDITABLE, default_of, origins, read_settings_file
from engine.settings.run_settings import title
from ui import actions, context
from ui import components as c
from ui.setting_inputs import setting_input

c.page_header(
    "Settings",
    ":material/settings:",
    "Tuning settings kept in the settings file. Each change is recorded in the audit log.",
)
if not context.allowed(Action.change_settings):  # the page is only offered to admins; check anyway
    st.error("Only admins can change settings.", icon=":material/block:")
    st.stop()

try:
    s = context.settings()
    in_file = read_settings_file(s.settings_file)
    where = origins()
except BadInputError as exc:
    st.error(f"The settings could not be read: {c.md(exc)}", icon=":material/error:")
    st.stop()

st.info(
    f"Settings file: {c.code(s.settings_file)}. Precedence: command-line flags > environment > `.env` > "
    "settings file > defaults, so a setting given in the environment or `.env` **wins** over "
    "what you save here. New runs use the saved values; runs already running keep the settings "
    "they were launched with.",
    icon=":material/info:",
)

st.subheader("In effect", anchor=False)
st.dataframe(
    pd.DataFrame(
        [
            {
                "setting": title(name, Settings),
                "key": name,
                "value": f"{getattr(s, name):,}",
                "from": where[name],
                "in the file": f"{in_file[name]:,}" if name in in_file else "",
            }
            for name in EDITABLE
        ]
    ),
    hide_index=True,
    width="stretch",
    key="settings_effective",
    column_config={
        "setting": st.column_config.TextColumn("Setting", width=260),
        "key": st.column_config.TextColumn(
            "Key", width=230, help="The name in the settings file, and in capitals the environment variable."
        ),
        "value": st.column_config.TextColumn("Value", width=140),
        "from": st.column_config.TextColumn("From", width=130),
        "in the file": st.column_config.TextColumn("In the file", width=140),
    },
)


st.subheader("Change the settings file", anchor=False)
st.caption(
    "The form starts from the file's values (or the defaults where the file sets none). How much each "
    "service matters is set in the services file, on the **Policy** page."
)
with st.form("settings_form"):
    for name in EDITABLE:
        note = " (the environment or `.env` overrides it)" if where[name] in ("environment", ".env") else ""
        setting_input(
            name,
            in_file.get(name, default_of(name)),
            key=actions.settings_field_key(name),
            label=title(name, Settings),
            help=f"`{name}` · now from {where[name]}{note}",
            model=Settings,
        )

    st.form_submit_button("Save", type="primary", on_click=actions.change_settings, key="settings_save")

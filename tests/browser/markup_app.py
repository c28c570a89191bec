"""A page for test_browser_markup.py: one hostile value through ui.markup into every kind of
markdown the app draws, and one control line whose markdown is meant to work."""

from __future__ import annotations

import streamlit as st

from ui.markup import code, md

# The payload's host (port 9) must never be asked for anything; the control's (port 8) is.
PAYLOAD = (
    "` ![x](http://127.0.0.1:9/i.png) [link](http://127.0.0.1:9/l) <img src=http://127.0.0.1:9/h.png> "
    "**bold** _em_ $x$ :red[c] ~~s~~ # h"
)

st.markdown("control: **real** ![ctl](http://127.0.0.1:8/ctl.png)")
for escape in (md, code):
    shown = escape(PAYLOAD)
    st.success(f"Approved {shown} (attempt 1).")
    st.error(f"Not imported: {shown}")
    st.warning(shown)
    st.info(shown)
    st.caption(f"from {shown}")
    st.markdown(f"Last import: {shown}")
    st.button(f"Open {shown}", help=f"About {shown}", key=f"button_{escape.__name__}")
    with st.expander(f"Details of {shown}"):
        st.write("inside")
    st.badge(shown)

"""The simulated pull request pages, served by the app's own process (once per process and
runs folder), so that every simulated PR link the pages show opens, whenever the run ran."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from engine.simulator.pull_server import PullPageServer, start_pull_pages


@st.cache_resource(show_spinner=False)
def _served(runs_dir: str, url: str) -> PullPageServer | None:
    return start_pull_pages(Path(runs_dir), url)


def serve(runs_dir: Path, url: str) -> None:
    """Starts the page server unless this process (or another one) already serves `url`."""
    _served(str(runs_dir), url)

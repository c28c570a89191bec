"""Finding text reaches the page as inert text: escaped markdown, never HTML; links only for http(s)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from ui import components as c

REPO = Path(__file__).resolve().parent.parent


def test_no_page_renders_html() -> None:
    sources = [
        REPO / "app.py",
        *sorted((REPO / "app_pages").glob("*.py")),
        *sorted((REPO / "ui").glob("*.py")),
    ]
    unsafe = re.compile(r"unsafe_allow_html|st\.html\(|components\.v1|st\.components")
    found = [
        f"{p.name}: {m.group()}" for p in sources for m in unsafe.finditer(p.read_text(encoding="utf-8"))
    ]
    assert found == []


@pytest.mark.parametrize(
    "text",
    [
        "[click](javascript:alert(1))",
        "![img](https://evil.example/x.png)",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "**bold** _em_ `code` # heading",
        ":red[colour] $x^2$ ~~strike~~ | table |",
    ],
)
def test_md_escapes_every_markdown_and_html_character(text: str) -> None:
    escaped = c.md(text)
    # Every special character is preceded by a backslash: nothing is left to interpret.
    assert re.search(r"(?<!\\)[\[\]()<>*_`#!|~:$]", escaped) is None, escaped
    assert escaped.replace("\\", "") == text.replace("\\", "")


def test_md_keeps_text_on_one_line_and_accepts_any_value() -> None:
    assert c.md("a\nb") == "a b"
    assert c.md(None) == "None"
    assert c.md(12) == "12"
    assert c.md("back\\slash") == "back\\\\slash"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://github.com/acme/repo/pull/1", True),
        ("http://localhost:8000/sessions/1", True),
        ("HTTPS://EXAMPLE.COM", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("data:text/html;base64,PHNjcmlwdD4=", False),
        ("vbscript:msgbox(1)", False),
        ("file:///etc/passwd", False),
        ("//evil.example/x", False),
        (" https://leading-space.example", False),
        ("ftp://example.com", False),
        ("", False),
        (None, False),
    ],
)
def test_is_http(url: str | None, ok: bool) -> None:
    assert c.is_http(url) is ok


def kept(values: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) else v for v in values]


def test_http_links_blanks_everything_but_http_urls() -> None:
    table = pd.DataFrame(
        {
            "pr": ["https://github.com/a/b/pull/1", "javascript:alert(1)", None, 5],
            "session": ["data:x", "http://h/s/1", "", "https://h/s/2"],
            "title": ["javascript:alert(1)", "t", "t", "t"],
        }
    )
    linked = c.http_links(table, ["pr", "session", "missing"])
    assert kept(linked["pr"]) == ["https://github.com/a/b/pull/1", None, None, None]
    assert kept(linked["session"]) == [None, "http://h/s/1", None, "https://h/s/2"]
    assert linked["title"].tolist() == table["title"].tolist()  # other columns untouched
    assert table["pr"].iloc[1] == "javascript:alert(1)"  # the input is not changed

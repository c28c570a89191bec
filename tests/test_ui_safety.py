"""Finding text reaches the page as inert text: escaped markdown, never HTML; links only for http(s)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from ui import components as c

REPO = Path(__file__).resolve().parent.parent
SOURCES = [REPO / "app.py", *sorted((REPO / "app_pages").glob("*.py")), *sorted((REPO / "ui").glob("*.py"))]


def test_no_page_renders_html() -> None:
    unsafe = re.compile(r"unsafe_allow_html|st\.html\(|components\.v1|st\.components")
    found = [
        f"{p.name}: {m.group()}" for p in SOURCES for m in unsafe.finditer(p.read_text(encoding="utf-8"))
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


# Calls whose text Streamlit renders as markdown (and `say`, which becomes a message).
MARKDOWN_CALLS = frozenset(
    {"say", "success", "error", "warning", "info", "caption", "markdown", "toast", "write", "title"}
    | {"header", "subheader", "badge", "button", "form_submit_button", "link_button", "page_link"}
    | {"expander", "popover", "status", "metric", "progress", "tabs"}
)
MARKDOWN_KEYWORDS = frozenset({"label", "help", "text", "body", "caption"})
ESCAPES = frozenset({"md", "code", "when"})
# Names that hold data from people, files, URLs or errors.
DATA_NAMES = re.compile(
    r"exc|error|problem|name|path|file|email|reason|title|finding_id|fingerprint|run_id|message"
    r"|upload|service|wanted|owner|url|address",
    re.I,
)


def _name_of(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")


def _unescaped(node: ast.AST) -> Iterator[ast.expr]:
    """The values interpolated into f-strings under `node` without an escape helper."""
    for joined in ast.walk(node):
        if not isinstance(joined, ast.JoinedStr):
            continue
        for part in joined.values:
            if not isinstance(part, ast.FormattedValue) or part.format_spec is not None:
                continue
            if isinstance(part.value, ast.Call) and _name_of(part.value) in ESCAPES:
                continue
            yield part.value


def test_messages_escape_the_data_they_interpolate() -> None:
    """A guard for the AppTest checks in test_app_markdown.py: no message, caption, label or
    tooltip puts a value named like data into its markdown without ui.markup's md or code."""
    found = []
    for path in SOURCES:
        for call in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(call, ast.Call) or _name_of(call) not in MARKDOWN_CALLS:
                continue
            texts = [*call.args, *(k.value for k in call.keywords if k.arg in MARKDOWN_KEYWORDS)]
            values = [v for t in texts for v in _unescaped(t)]
            if (
                _name_of(call) == "say"
                and len(call.args) > 1
                and isinstance(call.args[1], ast.Attribute | ast.Name)
            ):
                values.append(call.args[1])  # say(kind, some.message)
            found += [
                f"{path.name}:{v.lineno}: {ast.unparse(v)}"
                for v in values
                if DATA_NAMES.search(ast.unparse(v))
            ]
    assert found == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("PW-0001", "`PW-0001`"),
        ("a`b", "`a'b`"),  # a backtick would close the span
        ("` ![x](http://e/i.png) <img src=x> **b**", "`' ![x](http://e/i.png) <img src=x> **b**`"),
        ("two\nlines", "`two lines`"),
        (Path("/tmp/x`y/runs"), "`/tmp/x'y/runs`"),
    ],
)
def test_code_makes_inline_code_that_nothing_closes(value: object, expected: str) -> None:
    assert c.code(value) == expected


def test_code_shortens_only_when_asked() -> None:
    long = "x" * 300
    assert c.code(long) == f"`{long}`"
    assert c.code(long, limit=80) == "`" + "x" * 79 + "…`"

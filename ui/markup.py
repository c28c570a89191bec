"""Data made inert inside Streamlit markdown.

Every text Streamlit draws through a message, caption, label, tooltip, toast or badge is
markdown: a value that comes from a file, a person, a URL or an error message could load an
image, render a link, colour text or emphasise it. Such values go through `md` (plain text)
or `code` (inline code) before they meet the markdown around them; the markdown the app writes
itself is left as it is.

`code` is the stronger of the two, so identifiers (finding ids, file names, run ids, paths,
e-mails) use it. Inside a code span Streamlit reads nothing at all, while on escaped text it
still turns a bare web or e-mail address into a link to that same address and `:material/x:`
or an emoji short code into its icon, after the escapes are read; `md` is for prose (titles,
reasons, error texts)."""

from __future__ import annotations

import re

# Everything markdown, Streamlit's directives (`:red[..]`, `:material/x:`), math, HTML and its
# entities (`&lt;`) give a meaning to. A backslash before ASCII punctuation makes it literal.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&])")


def md(value: object) -> str:
    """`value` as plain text inside markdown: no links, images, emphasis, directives or HTML,
    and on one line (a newline could start a heading, a list or a block of HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(value).splitlines()))


def code(value: object, limit: int | None = None) -> str:
    """`value` as inline code: inside a code span markdown reads nothing, so only a backtick
    (which would close the span) and a line break need handling. With `limit`, a longer value
    is cut short (for values from the URL, which can be of any length)."""
    text = " ".join(str(value).splitlines()).replace("`", "'")
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"`{text}`"

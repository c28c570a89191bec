"""Untrusted text (what a scanner file says about a finding) made safe to put in a prompt.

The prompt wraps finding data between two markers, and the lessons from memory between two
of their own (engine.memory.prompt_section). Text that merely *reads* as a marker must
not end or forge either block, so values are compared in a normalised view before they go in:
compatibility forms folded (NFKC: full-width ＜ＥＮＤ＞, ligatures, circled letters), invisible
format characters dropped (Unicode Cf: zero-width space U+200B, word joiner U+2060, BOM
U+FEFF, soft hyphen U+00AD, bidi controls), control characters and combining marks dropped,
common Cyrillic and Greek
look-alikes of Latin letters mapped to those letters, case folded, and every kind of space or
line break (U+2028, U+2029, NEL U+0085, ...) read as a space, runs of them as one. Whatever
spans of the original read as "begin/end finding data" or "begin/end memory data" there are
replaced as a whole.

In the JSON the prompt carries, every character that is a line break or invisible (Cc, Cf, Zl,
Zp, lone surrogates) is written as a \\uXXXX escape: the agent sees no line break that the
data put there, and parsing the block still gives back the exact value."""

from __future__ import annotations

import re
import unicodedata

MARKER_REMOVED = "[marker removed]"

# Letters of other scripts that look like Latin ones (after case folding), for matching only.
# NFKC leaves these alone; Greek capital NU folds to ν, so ν reads as the N it looked like.
_LOOKALIKES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "һ": "h", "н": "h", "і": "i",
        "ј": "j", "к": "k", "ӏ": "l", "м": "m", "п": "n", "о": "o", "р": "p", "ԛ": "q",
        "г": "r", "ѕ": "s", "т": "t", "у": "y", "х": "x", "ԝ": "w",
        # Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "n", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ζ": "z", "γ": "y",
        # Latin letters NFKC keeps: dotless i, script a and g, small capitals
        "ı": "i", "ɑ": "a", "ɡ": "g", "ᴀ": "a", "ʙ": "b", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f",
        "ɢ": "g", "ɪ": "i", "ɴ": "n", "ᴛ": "t",
    }
)  # fmt: skip
# Characters that render as nothing or as blank space but are not Unicode whitespace.
_BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_DROPPED_CATEGORIES = frozenset({"Cf", "Cc", "Mn", "Me"})  # invisible, control, combining
_ASCII_CONTROLS = str.maketrans("", "", "".join(map(chr, [*range(0x09), *range(0x0E, 0x1C), 0x7F])))
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})

_BRACKETS = "<>«»‹›〈〉《》⟨⟩≪≫❮❯˂˃ᐸᐳ"
_SEPARATOR = r"[\s_\-.·:|/\\*~=+#'\"`^]*"
# "begin/end finding data", "begin/end memory data" (the finding's and the lessons' blocks) and
# "begin/end previous attempt" (a retry's feedback block, engine.devin.feedback) in the
# normalised view, with any brackets and separators around and between the words (none at all
# counts too).
_MARKER_LIKE = re.compile(
    rf"[{re.escape(_BRACKETS)}]*{_SEPARATOR}(?:begin|end){_SEPARATOR}"
    rf"(?:(?:finding|memory){_SEPARATOR}data|previous{_SEPARATOR}attempt)"
    rf"{_SEPARATOR}[{re.escape(_BRACKETS)}]*"
)


def _normalised_chars(char: str) -> str:
    out = []
    for folded in unicodedata.normalize("NFKC", char):
        if folded.isspace() or folded in _BLANKS:
            out.append(" ")
        elif unicodedata.category(folded) not in _DROPPED_CATEGORIES:
            out.append(folded.casefold().translate(_LOOKALIKES))
    return "".join(out)


def normalised_view(text: str) -> tuple[str, list[int]]:
    """`text` as it reads (see the module doc), with the index in `text` each character of the
    view came from. Whitespace is collapsed to single spaces."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for letter in _normalised_chars(char):  # casefold may give more than one letter
            if letter == " " and chars and chars[-1] == " ":
                continue
            chars.append(letter)
            origin.append(index)
    return "".join(chars), origin


def normalise(text: str) -> str:
    return normalised_view(text)[0]


def reads_as_marker(text: str) -> bool:
    """Whether some part of `text` reads as a block marker ("begin/end finding data", "begin/end
    memory data", "begin/end previous attempt") once normalised."""
    if text.isascii():  # the common case, without building the view
        return _MARKER_LIKE.search(" ".join(text.translate(_ASCII_CONTROLS).lower().split())) is not None
    return _MARKER_LIKE.search(normalise(text)) is not None


def neutralise_markers(text: str) -> str:
    """`text` with every span that reads as a data marker replaced by MARKER_REMOVED. Checked
    again after each round, so removing one cannot join two halves into a new marker (the
    replacement's own letters cannot be part of one)."""
    while reads_as_marker(text):
        view, origin = normalised_view(text)
        spans = [(origin[m.start()], origin[m.end() - 1] + 1) for m in _MARKER_LIKE.finditer(view)]
        for start, end in reversed(spans):
            text = text[:start] + MARKER_REMOVED + text[end:]
    return text


def _escape(char: str) -> str:
    code = ord(char)
    if code > 0xFFFF:  # as a UTF-16 surrogate pair, the way JSON writes it
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def escape_invisible(json_text: str) -> str:
    """`json_text` (a JSON document, "\\n" its only line break) with every other line break and
    invisible character escaped. Those can only be inside JSON strings, where an escape means
    the same character."""
    return "".join(
        _escape(c) if c != "\n" and unicodedata.category(c) in _ESCAPED_CATEGORIES else c for c in json_text
    )

"""Titles and descriptions from scanner texts.

Titles are one line of at most 200 characters: the first paragraph with its whitespace
collapsed, cut at its first sentence when too long, else at a word, with an ellipsis.
Descriptions keep the scanner's text (rule help in Markdown is not copied into every result)
and are clipped at 4,000 characters."""

from __future__ import annotations

import re

TITLE_LIMIT = 200
DESCRIPTION_LIMIT = 4000
UNTITLED = "untitled result"

_LINK = re.compile(r"\[([^\]\[]*)\]\((?:[^()]*)\)")  # SARIF "[user-provided value](1)" -> the text
_PLACEHOLDER = re.compile(r"\{(\d+)\}")
_SENTENCE_END = re.compile(r"[.!?](?=\s)")


def title_from(text: str | None, limit: int = TITLE_LIMIT) -> str | None:
    """One line of at most `limit` characters, or None when the text is blank."""
    if not text:
        return None
    paragraph = text.strip().split("\n\n", 1)[0]
    line = " ".join(paragraph.split())
    if not line:
        return None
    if " - " in line:
        # dependency-check writes "<name> - <name>" when an advisory has no description.
        half, _, rest = line.partition(" - ")
        if half == rest:
            line = half
    if len(line) <= limit:
        return line
    end = _SENTENCE_END.search(line, 15, limit)  # a sentence shorter than that names nothing
    if end is not None:
        return line[: end.start() + 1]
    cut = line.rfind(" ", 0, limit - 1)
    return line[: cut if cut > limit // 2 else limit - 1].rstrip(" ,;:") + "…"


def clip(text: str | None, limit: int = DESCRIPTION_LIMIT) -> str | None:
    if not text:
        return None
    text = text.strip()
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def message_and_context(message: str | None, context: str | None) -> str | None:
    """The fast path of `join_texts` for two parts: a result's message and its rule's text."""
    if message:
        message = message.strip()
    if not message:
        return clip(context)
    if context and context not in message:
        message = f"{message}\n\n{context}"
    return message if len(message) <= DESCRIPTION_LIMIT else clip(message)


def join_texts(*parts: str | None) -> str | None:
    """Non-empty parts as paragraphs; a part already contained in an earlier one is skipped."""
    kept: list[str] = []
    for part in parts:
        if not part:
            continue
        part = part.strip()
        if part and not any(part in earlier for earlier in kept):
            kept.append(part)
    return clip("\n\n".join(kept)) if kept else None


def sarif_message(message: object, message_strings: dict[str, str] | None = None) -> str | None:
    """A SARIF message object -> plain text: `text` (or the rule's message string named by
    `id`), `{0}` placeholders filled from `arguments`, embedded links reduced to their text."""
    if not isinstance(message, dict):
        return None
    text = message.get("text")
    if not isinstance(text, str) or not text:
        message_id = message.get("id")
        text = message_strings.get(message_id) if message_strings and isinstance(message_id, str) else None
        if not text:
            markdown = message.get("markdown")
            text = markdown if isinstance(markdown, str) else None
        if not text:
            return None
    if "{" in text:
        arguments = message.get("arguments")
        if isinstance(arguments, list) and arguments:
            text = _PLACEHOLDER.sub(
                lambda m: str(arguments[int(m.group(1))]) if int(m.group(1)) < len(arguments) else m.group(0),
                text,
            )
    if "](" in text:
        text = _LINK.sub(_link_text, text)
    return text


def _link_text(match: re.Match[str]) -> str:
    return match[1]  # a function is three times faster here than the r"\1" template

"""Text made safe for the pages: Markdown that shows untrusted text literally, http(s) links only."""

from __future__ import annotations

import re

SAFE_URL_PREFIXES = ("https://", "http://")


def safe_url(url: object) -> str:
    """``url`` if it is an http(s) address, otherwise the empty string."""
    text = str(url or "").strip()
    return text if text.lower().startswith(SAFE_URL_PREFIXES) else ""


def markdown_link(text: str, url: str) -> str:
    """A Markdown link to an http(s) ``url`` (else the escaped text alone).

    The label is escaped (:func:`escape_markdown`); characters that would end
    the link target early are percent-encoded.
    """
    target = safe_url(url)
    label = escape_markdown(text)
    if not target:
        return label
    for char, code in (("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E"), (" ", "%20"), ("\\", "%5C")):
        target = target.replace(char, code)
    return f"[{label}]({target})"


def changelog_markdown(text: str) -> str:
    """A change-log entry as safe Markdown: its ``- `` bullets kept, every other character escaped.

    Continuation lines of a bullet are joined to it; blank lines separate paragraphs.
    """
    escape = escape_markdown
    blocks: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            if blocks and blocks[-1] != "":
                blocks.append("")
            continue
        if stripped.startswith(("- ", "* ")):
            blocks.append("- " + escape(stripped[2:].strip()))
        elif blocks and blocks[-1]:
            blocks[-1] += " " + escape(stripped)
        else:
            blocks.append(escape(stripped))
    return "\n".join(blocks).strip()


# Streamlit's Markdown (remark-gfm) turns bare web addresses and e-mail addresses into links
# after escapes and entities are decoded, so escaping cannot stop it; these are the patterns
# its transform looks for (mdast-util-gfm-autolink-literal). A WORD JOINER (U+2060: invisible,
# zero width, read by no screen reader) placed inside each shape breaks it.
WORD_JOINER = "\u2060"


_AUTOLINK_SHAPES = (
    re.compile(r"(?i)(https?:)(?=//)"),  # "https:" + "//": the joiner goes before the slashes
    re.compile(r"(?i)(www)(?=\.)"),  # "www" + ".": the joiner goes before the dot
    re.compile(r"(@)"),  # an e-mail address: the joiner goes after the "@"
)


def break_autolinks(text: str) -> str:
    """``text`` with a word joiner inside every shape that Markdown would turn into a link."""
    for shape in _AUTOLINK_SHAPES:
        text = shape.sub(lambda m: m.group(1) + WORD_JOINER, text)
    return text


def escape_markdown(text: str) -> str:
    """Text shown literally by st.markdown (and every other element that renders Markdown).

    Covers emphasis, links and images, headings (``#`` and setext ``=``/``-``
    underlines), lists, tables, HTML and entities, LaTeX (``$``) and
    strikethrough (``~``). A colon becomes the entity ``&#58;``: Streamlit
    turns ``:material/name:`` into an icon and ``:red[...]`` into colour even
    when the colon is escaped with a backslash, but not an entity. Bare web
    and e-mail addresses, which the renderer links whatever the escaping, get
    an invisible word joiner (:func:`break_autolinks`).
    """
    escaped = re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~&$=^])", r"\\\1", break_autolinks(text))
    return escaped.replace(":", "&#58;")

"""Text made safe for the pages: Markdown that shows untrusted text literally, http(s) links only."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from geo.evidence.quotes import Quote

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


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def date_in_words(value: object) -> str:
    """A date as a reader says it, as precise as it is: "9 April 2019", "April 2019", "2019".

    Anything that is not a YYYY, YYYY-MM or YYYY-MM-DD date comes back as it
    is (stripped); nothing comes back as "".
    """
    text = str(value or "").strip()
    match = _PARTIAL_DATE.match(text)
    if not match:
        return text
    year, month, day = match.groups()
    if month is None:
        return year
    if not 1 <= int(month) <= 12:
        return text
    if day is None:
        return f"{MONTHS[int(month) - 1]} {year}"
    return f"{int(day)} {MONTHS[int(month) - 1]} {year}"


def quote_attribution(publisher: str, published: str) -> str:
    """Who published a quotation and when: "Al Jazeera, 17 June 2021" (or "…, date not given")."""
    when = date_in_words(published) or "date not given"
    return f"{publisher}, {when}" if publisher else when


def checked_words(checked: str) -> str:
    """When a claim was last read against its source, in words ("" when not known)."""
    when = date_in_words(checked)
    return f"read against the source on {when}" if when else ""


def one_line(text: str) -> str:
    """``text`` with every run of blanks and line breaks as one space: a quotation kept on one line."""
    return " ".join(str(text or "").split())


def quote_parts(quote: Quote) -> list[str]:
    """A quotation as every view shows it, in plain text (each view escapes it its own way).

    ``[the words on one line, "Publisher, 9 April 2019", "read against the source on …", note]``.
    """
    return [
        one_line(quote.quote),
        quote_attribution(quote.publisher, quote.published),
        checked_words(quote.checked),
        one_line(quote.note),
    ]


def quote_text(quote: Quote) -> str:
    """A quotation on one line of plain text, for a CSV cell or a table: “…” — Publisher, date; read … Note: …"""
    words, cite, checked, note = quote_parts(quote)
    text = f"“{words}” — {cite}" + (f"; {checked}" if checked else "") + "."
    return text + (f" Note: {note}" if note else "")

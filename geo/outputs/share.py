"""Sharing a view: the link to it (in the app or the published copy) and the embed snippet."""

from __future__ import annotations

import html
from urllib.parse import urlencode, urlparse

from geo import settings
from geo.filters import Filters


def view_links(base_url: str, filters: Filters, published: bool) -> tuple[str, str]:
    """The address of this view to share, and the address to embed (map alone, with date and credits).

    ``published``: ``base_url`` is the published static site (``index.html``
    with ``view=embed``); otherwise it is the app (its screenshot view).
    Filters are URL-encoded; the same parameters work in both.
    """
    base = base_url.strip().rstrip("/")
    if not base.lower().startswith(("https://", "http://")):
        raise ValueError("a link needs an http(s) base address")
    params = filters.to_params()
    page = f"{base}/index.html" if published else f"{base}/"
    share = f"{page}?{urlencode(params)}" if params else page
    extra = {"view": "embed"} if published else {"embed": "true", "view": "screenshot"}
    return share, f"{page}?{urlencode({**params, **extra})}"


def embed_snippet(base_url: str, filters: Filters, height: int = 600, published: bool = False) -> str:
    """The ``<iframe>`` HTML that embeds the map with ``filters``, and a credit line under it.

    ``base_url`` is the app's address, or the published site's when
    ``published`` (http or https; anything else raises ValueError). Query
    parameters are URL-encoded and every attribute value is HTML-escaped, so
    no filter text can break out of the snippet.
    """
    link, src = view_links(base_url, filters, published)
    title = "Map: " + settings.SITE_TITLE
    return (
        f'<iframe src="{html.escape(src, quote=True)}" title="{html.escape(title, quote=True)}" '
        f'width="100%" height="{int(height)}" style="border:0" loading="lazy"></iframe>\n'
        f'<p style="font-size:0.85em">Map: <a href="{html.escape(link, quote=True)}">'
        f"{html.escape(settings.SITE_TITLE)}</a>. Data CC BY 4.0; "
        f"{html.escape(settings.SHORT_ATTRIBUTION)}.</p>"
    )


def app_base_url(page_url: str) -> str:
    """The app's base address from the address of one of its pages (query and page name dropped).

    ``http://host:8501/data?region=London`` gives ``http://host:8501``; an app
    served under a path keeps it. Returns "" for anything but http(s).
    """
    parsed = urlparse(page_url or "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return ""
    path = parsed.path.rstrip("/")
    base_path = path.rsplit("/", 1)[0] if "/" in path else ""
    return f"{parsed.scheme}://{parsed.netloc}{base_path}"

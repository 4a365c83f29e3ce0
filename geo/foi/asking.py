"""Asking a council: finding it by name or postcode, the request letter, and where to send it.

The letter is in the project's own words; the WhatDoTheyKnow link opens the
request with the council chosen and the title and letter filled in.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.foi.deadlines import law_for, law_name
from geo.places.authorities import Authorities, Authority

# --- Asking a council ------------------------------------------------------------------------
REQUEST_TITLE = "Hikvision and Dahua surveillance equipment"


def letter_body(authority: Authority) -> str:
    """The request itself, in the project's own words, without greeting or signature.

    WhatDoTheyKnow puts its own "Dear ..." and "Yours faithfully," around this
    text (Alaveteli's ``default_letter``). The letter holds no postcode and no
    e-mail address, which that site would flag before sending.
    """
    law = law_name(law_for(authority.nation))
    return (
        f"I am writing under {law} to ask about surveillance equipment made by Hikvision or Dahua, "
        "including equipment made by either company but sold under another brand name.\n"
        "\n"
        "Please tell me:\n"
        "\n"
        "1. Whether the council owns, leases or operates any CCTV cameras, video recorders or other "
        "surveillance equipment made by Hikvision or Dahua. If it holds none, please say so.\n"
        "2. If it does, how many such devices there are, and at what kinds of site they are installed "
        "(for example council offices, libraries, leisure centres, car parks, depots, schools, or "
        "public-space CCTV). I am not asking for the exact position of any camera.\n"
        "3. When the equipment was bought or installed (the year is enough).\n"
        "4. Whether the council has decided or plans to replace or remove this equipment, and if so "
        "when.\n"
        "5. The contract or contracts under which the equipment was bought, installed or is maintained, "
        "and the name of the supplier or installer.\n"
        "\n"
        "If answering everything would exceed the cost limit, please answer questions 1 and 5 first and "
        "tell me how I could narrow the rest. Where figures are involved, a spreadsheet or CSV file "
        "would be most helpful."
    )


def full_letter(authority: Authority) -> str:
    """The request as a complete letter, to copy into an e-mail or save as text."""
    return (
        f"Subject: Freedom of information request: {REQUEST_TITLE}\n\n"
        f"Dear {authority.name},\n\n{letter_body(authority)}\n\nYours faithfully,\n\n[your name]\n"
    )


def whatdotheyknow_url(authority: Authority, base: str | None = None) -> str:
    """A link that opens this request on WhatDoTheyKnow, or that site's search for the body.

    Alaveteli's route ``/new/:url_name`` accepts the body's numeric id as well
    as its address name (``RequestController#render_new_compose``) and fills
    the form from ``title`` and ``default_letter``. mySociety's table gives the
    numeric id (``wdtk_id``) of 376 of the 382 current councils; for the
    others the link is the site's authority search with the name filled in,
    never a guessed address.
    """
    from urllib.parse import urlencode

    from geo import settings

    base = (base or settings.WHATDOTHEYKNOW_URL).rstrip("/")
    if authority.wdtk_number:
        query = urlencode({"title": REQUEST_TITLE, "default_letter": letter_body(authority)})
        return f"{base}/new/{authority.wdtk_number}?{query}"
    return f"{base}/select_authority?{urlencode({'query': authority.name})}"


BATCH_COLUMNS = ("council", "code", "nation", "region", "whatdotheyknow", "letter")


def batch_csv(councils: list[Authority]) -> bytes:
    """One row per council: name, GSS code, nation, region, WhatDoTheyKnow link and the letter.

    UTF-8 with a byte-order mark, and cells that a spreadsheet would run as a
    formula are neutralised, as in every export of the project.
    """
    from geo.outputs.export import spreadsheet_csv

    return spreadsheet_csv(
        BATCH_COLUMNS,
        (
            (
                council.name,
                council.gss_code,
                council.nation,
                council.region,
                whatdotheyknow_url(council),
                full_letter(council),
            )
            for council in councils
        ),
    )


# --- Finding a council -----------------------------------------------------------------------
@dataclass(frozen=True)
class CouncilSearch:
    """What a search for a council found.

    ``councils``: the councils meant (a postcode gives its district or
    unitary council and, in two-tier areas, the county council above it);
    ``candidates``: the closest names when nothing matched for certain;
    ``message``: why nothing was found, in words.
    """

    councils: tuple[Authority, ...] = ()
    candidates: tuple[Authority, ...] = ()
    message: str = ""


def find_council(query: str, authorities: Authorities, geocode) -> CouncilSearch:
    """The council a visitor means by ``query``: any common spelling of its name, or a postcode.

    ``geocode(postcode)`` returns a location with ``lad_code`` or raises
    :class:`geo.places.postcodes.PostcodeError`. Text shaped like a postcode is looked
    up as one; anything else is matched by name (never guessed: a name that
    matches nothing gives only the closest names).
    """
    from geo.places.postcodes import PostcodeError, normalise_postcode

    text = " ".join(query.split())
    if not text:
        return CouncilSearch()
    try:
        postcode = normalise_postcode(text)
    except PostcodeError:
        postcode = ""
    if postcode:
        try:
            location = geocode(postcode)
        except PostcodeError as error:
            return CouncilSearch(message=f"{error.postcode}: {error.reason}")
        district = authorities.get(location.lad_code)
        if district is None:
            return CouncilSearch(message=f"{postcode} is in {location.lad_name}, which is not a UK council here.")
        county = authorities.by_code.get(district.county) if district.county else None
        return CouncilSearch(councils=(district,) + ((county,) if county is not None and county.current else ()))
    match = authorities.match_name(text)
    if match.authority is not None:
        return CouncilSearch(councils=(match.authority,))
    if match.candidates:
        return CouncilSearch(candidates=match.candidates, message=f"No council is called “{text}” for certain.")
    return CouncilSearch(message=f"No UK council matches “{text}”.")

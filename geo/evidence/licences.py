"""The licences: the data's (CC BY 4.0), the code's (the LICENSE file), and the third-party data's."""

from __future__ import annotations

from pathlib import Path

from geo import settings

CODE_LICENSE_FILE = settings.PROJECT_ROOT / "LICENSE"


DATA_LICENCE = "Creative Commons Attribution 4.0 International (CC BY 4.0)"


DATA_LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"


def code_licence_name(path: Path = CODE_LICENSE_FILE) -> str:
    """The code's licence as named by the first line of the project's LICENSE file.

    ``"MIT License"`` for the usual MIT text; the file's first line otherwise;
    a pointer to the file when there is none yet (never a guess).
    """
    if not path.is_file():
        return "see the LICENSE file in the code repository"
    text = path.read_text(encoding="utf-8", errors="replace")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if "MIT" in first or "Permission is hereby granted, free of charge" in text:
        return "MIT License"
    return first[:120] or "see the LICENSE file in the code repository"


def licence_text(code_licence: str | None = None) -> str:
    """The LICENSE text shipped in the data package zip."""
    code_licence = code_licence or code_licence_name()
    return (
        "Hikvision equipment in UK public buildings: an evidence map\n\n"
        f"DATA: {DATA_LICENCE}\n{DATA_LICENCE_URL}\n\n"
        "The data (the tables, the wording of claims and figures, campaign.md) may be shared and\n"
        "adapted for any purpose, provided you give appropriate credit, link to the licence and\n"
        "say if changes were made. The publications listed in sources.csv remain under their own\n"
        "copyright: the data cites them and does not republish them.\n\n"
        f"CODE: {code_licence}.\n\n"
        "THIRD-PARTY DATA used by the app (Open Government Licence v3.0):\n"
        f"- {settings.BOUNDARY_ATTRIBUTION}\n"
        f"- {settings.POSTCODE_ATTRIBUTION}\n"
    )

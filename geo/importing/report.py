"""What an import would do: each row accepted or rejected (and why), duplicates, and the diff."""

from __future__ import annotations

from dataclasses import dataclass, field


# --- Report ------------------------------------------------------------------------
@dataclass(frozen=True)
class Issue:
    """Why a row was rejected: the spreadsheet row, the template column, the reason."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.message}"


@dataclass
class RowResult:
    row: int
    organisation: str
    issues: list[Issue] = field(default_factory=list)
    records: list[str] = field(default_factory=list)  # what the row adds, e.g. "new claim x"

    @property
    def accepted(self) -> bool:
        return not self.issues


@dataclass(frozen=True)
class Duplicate:
    """A new site that looks like one already in the package (shown, never merged)."""

    row: int
    site_id: str
    name: str
    organisation: str
    postcode: str
    existing_id: str
    existing_name: str
    existing_organisation: str
    similarity: float


@dataclass
class Diff:
    new_sites: list[dict] = field(default_factory=list)
    changed_sites: list[dict] = field(default_factory=list)  # {"id", "field", "old", "new"}
    new_claims: list[dict] = field(default_factory=list)
    new_foi_requests: list[dict] = field(default_factory=list)
    new_sources: list[dict] = field(default_factory=list)
    new_claim_sources: list[dict] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "new sites": len(self.new_sites),
            "changed sites": len({c["id"] for c in self.changed_sites}),
            "new claims": len(self.new_claims),
            "new FOI requests": len(self.new_foi_requests),
            "new sources": len(self.new_sources),
        }

    @property
    def empty(self) -> bool:
        return not any(self.counts().values())


@dataclass
class ImportReport:
    filename: str
    encoding: str = ""
    fatal: list[str] = field(default_factory=list)  # the file as a whole was rejected
    columns: dict[str, str] = field(default_factory=dict)  # header as written -> template column
    extra_columns: list[str] = field(default_factory=list)  # ignored, named in the report
    absent_columns: list[str] = field(default_factory=list)  # optional template columns not in the file
    rows: list[RowResult] = field(default_factory=list)
    blank_rows: list[int] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    diff: Diff = field(default_factory=Diff)
    package_problems: list[str] = field(default_factory=list)  # problems already in the package
    # The new and changed sites as the build places them (GeoJSON features of
    # geo.evidence.build.site_features, made from the candidate): what the preview map draws.
    preview: list[dict] = field(default_factory=list)
    # What apply writes: resource name -> complete rows, the names of the tables that change,
    # and the package's fingerprint when read.
    tables: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    changed_tables: list[str] = field(default_factory=list)
    package_fingerprint: str = ""
    # Each postcode looked up for the rows (as the package writes it -> Location or the error),
    # so that applying the report does not look them up again.
    geocoded: dict[str, object] = field(default_factory=dict)

    @property
    def locations(self) -> dict[str, tuple[float, float, str]]:
        """Site id -> latitude, longitude and the place's name (district, else authority) of each site previewed."""
        found = {}
        for feature in self.preview:
            if feature["geometry"] is None:
                continue
            lon, lat = feature["geometry"]["coordinates"]
            props = feature["properties"]
            found[props["id"]] = (lat, lon, props["lad_name"] or props["authority_name"])
        return found

    @property
    def accepted(self) -> list[RowResult]:
        return [r for r in self.rows if r.accepted]

    @property
    def rejected(self) -> list[RowResult]:
        return [r for r in self.rows if not r.accepted]

    @property
    def issues(self) -> list[Issue]:
        return [issue for row in self.rows for issue in row.issues]

    @property
    def ok(self) -> bool:
        """True when the file can be applied: read, every row accepted, something to write."""
        return (
            not self.fatal
            and not self.package_problems
            and bool(self.rows)
            and not self.rejected
            and not self.diff.empty
        )

    def summary(self) -> str:
        if self.fatal:
            return "File rejected: " + " ".join(self.fatal)
        counts = ", ".join(f"{n} {what}" for what, n in self.diff.counts().items())
        return (
            f"{len(self.rows)} row(s): {len(self.accepted)} accepted, {len(self.rejected)} rejected"
            f"{f', {len(self.blank_rows)} blank row(s) skipped' if self.blank_rows else ''}. "
            f"{'Would write' if not self.rejected else 'Once every row is accepted, would write'}: {counts}."
        )

    def text(self) -> str:
        """The whole report as plain text (for the command line)."""
        lines = [f"Import of {self.filename}" + (f" (read as {self.encoding})" if self.encoding else "")]
        lines += [f"FILE: {message}" for message in self.fatal]
        lines += [f"PACKAGE: {problem}" for problem in self.package_problems]
        for header, column in self.columns.items():
            if header != column:
                lines.append(f"column {header!r} read as {column}")
        lines += [f"column {name!r} is not in the template: ignored" for name in self.extra_columns]
        for result in self.rows:
            if result.accepted:
                lines.append(f"row {result.row}: accepted: {'; '.join(result.records)}")
            for issue in result.issues:
                lines.append(f"row {issue.row}: REJECTED: {issue.field}: {issue.message}")
        lines += [f"row {r}: blank, skipped" for r in self.blank_rows]
        for dup in self.duplicates:
            lines.append(
                f"row {dup.row}: possible duplicate: new site {dup.site_id} ({dup.name}, {dup.postcode}) "
                f"looks like existing site {dup.existing_id} ({dup.existing_name}); not merged"
            )
        for change in self.diff.changed_sites:
            lines.append(f"site {change['id']}: {change['field']}: {change['old']!r} -> {change['new']!r}")
        lines.append(self.summary())
        return "\n".join(lines)

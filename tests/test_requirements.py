"""The pinned requirements are what the tests actually run against.

A pin edited by hand (a version that was never installed together with the rest)
makes the clean install in CI fail before a single test runs; this catches it here.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)")


def _pins(path: Path) -> list[tuple[str, str]]:
    pins = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            pins.append((match.group(1), match.group(2)))
    return pins


ALL_PINS = _pins(ROOT / "requirements.txt") + _pins(ROOT / "requirements-dev.txt")


def test_every_line_of_the_requirements_is_a_pin_or_a_comment() -> None:
    for name in ("requirements.txt", "requirements-dev.txt"):
        for number, line in enumerate((ROOT / name).read_text(encoding="utf-8").splitlines(), 1):
            text = line.strip()
            assert not text or text.startswith("#") or text.startswith("-r ") or PIN.match(text), (
                f"{name}:{number}: not pinned with ==: {text!r}"
            )


@pytest.mark.parametrize(("package", "version"), ALL_PINS, ids=[name for name, _ in ALL_PINS])
def test_the_installed_version_is_the_pinned_one(package: str, version: str) -> None:
    assert importlib.metadata.version(package) == version


def test_every_installed_dependency_is_satisfied() -> None:
    """What each pinned package requires is installed in a version it accepts."""
    from packaging.requirements import Requirement

    problems = []
    for package, _ in ALL_PINS:
        for text in importlib.metadata.requires(package) or []:
            requirement = Requirement(text)
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            try:
                installed = importlib.metadata.version(requirement.name)
            except importlib.metadata.PackageNotFoundError:
                problems.append(f"{package} needs {requirement}, not installed")
                continue
            if not requirement.specifier.contains(installed, prereleases=True):
                problems.append(f"{package} needs {requirement}, {installed} installed")
    assert problems == []

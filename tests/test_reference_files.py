"""Fetching the pinned reference files (boundaries, hex cartogram, mySociety tables).

No test here touches the network: ``urllib.request.urlopen`` is replaced by a
fake that fails as an offline machine does, or serves given bytes.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from geo import settings
from geo.places import boundaries

ROOT = Path(__file__).resolve().parent.parent


def _offline(url, timeout=None):
    raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")


def _serving(files: dict[str, bytes]):
    def urlopen(url, timeout=None):
        name = url.rsplit("/", 1)[1]
        return io.BytesIO(files[name])

    return urlopen


def test_every_reference_file_is_pinned_to_a_commit_and_a_checksum():
    for reference in settings.REFERENCE_FILES:
        assert reference.url.startswith("https://raw.githubusercontent.com/")
        commit = reference.url.split("/")[5]
        assert len(commit) == 40 and int(commit, 16) >= 0, reference.url
        assert len(reference.sha256) == 64 and int(reference.sha256, 16) >= 0
    assert {r.filename for r in settings.REFERENCE_FILES} >= {settings.BOUNDARIES_FILENAME, settings.HEX_FILENAME}


def test_offline_fetch_fails_in_one_line_and_leaves_no_folder(tmp_path, monkeypatch):
    target = tmp_path / "cache" / "hikmap"
    monkeypatch.setenv("HIKMAP_BOUNDARIES_DIR", str(target))
    monkeypatch.setattr(urllib.request, "urlopen", _offline)
    with pytest.raises(boundaries.BoundariesUnavailable) as raised:
        boundaries.fetch_boundaries()
    message = str(raised.value)
    assert "\n" not in message and "offline" in message and settings.BOUNDARIES_FILENAME in message
    assert not target.exists()


def test_a_file_with_the_wrong_checksum_is_not_saved(tmp_path, monkeypatch):
    target = tmp_path / "hikmap"
    monkeypatch.setenv("HIKMAP_BOUNDARIES_DIR", str(target))
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=None: io.BytesIO(b"not the pinned file"))
    with pytest.raises(boundaries.BoundariesUnavailable, match=r"expected .*not saved"):
        boundaries.fetch_boundaries()
    assert not target.exists()


def test_fetch_saves_every_file_whole_and_keeps_good_copies(tmp_path, monkeypatch):
    """Files are served from fakes whose bytes hash to the pins (by patching the pins)."""
    target = tmp_path / "hikmap"
    monkeypatch.setenv("HIKMAP_BOUNDARIES_DIR", str(target))
    contents = {r.url.rsplit("/", 1)[1]: f"fictional {r.filename}".encode() for r in settings.REFERENCE_FILES}
    pinned = tuple(
        settings.ReferenceFile(r.filename, r.url, hashlib.sha256(contents[r.url.rsplit("/", 1)[1]]).hexdigest())
        for r in settings.REFERENCE_FILES
    )
    monkeypatch.setattr(settings, "REFERENCE_FILES", pinned)
    monkeypatch.setattr(settings, "BOUNDARIES_SHA256", pinned[0].sha256)
    calls = []

    def urlopen(url, timeout=None):
        calls.append(url)
        return _serving(contents)(url)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    assert boundaries.fetch_boundaries() == target / settings.BOUNDARIES_FILENAME
    for reference in pinned:
        assert (target / reference.filename).read_bytes() == contents[reference.url.rsplit("/", 1)[1]]
    assert len(calls) == len(pinned)
    assert [p.name for p in target.iterdir() if p.name.startswith(".")] == []  # no temporary files left

    calls.clear()
    boundaries.fetch_boundaries()
    assert calls == []  # good copies are kept, nothing downloaded again


def test_fetch_boundaries_command_prints_one_line_when_offline(tmp_path):
    """The real command on a machine without the files: one line on stderr, exit 1.

    The URL is pointed at an unroutable local port so the test never depends on
    the network being there or not.
    """
    code = (
        "import sys; from geo import settings; "
        "settings.REFERENCE_FILES = tuple(settings.ReferenceFile(r.filename, 'http://127.0.0.1:9/' + r.filename, r.sha256) "
        "for r in settings.REFERENCE_FILES); "
        "from geo.__main__ import main; sys.exit(main(['fetch-boundaries']))"
    )
    target = tmp_path / "nothing-here"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"HIKMAP_BOUNDARIES_DIR": str(target), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("fetch-boundaries: cannot download")
    assert "Traceback" not in result.stderr and not target.exists()

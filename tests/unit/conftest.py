"""Fixtures that keep data tests off the internet and out of the user's own cache."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import urllib.error
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import pytest

from recsys_helpers.data import download

# ../shared/data relative to the repository root: the read-only mirror of the real data sets.
MIRROR = Path(__file__).parents[2].parent / "shared" / "data"


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture
def isolated_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No data home, an empty cache in tmp_path, a private registry, and no internet.

    Only 127.0.0.1, localhost and file:// URLs may be opened, so a test that would download
    from the real source fails at once instead of hanging on the network.
    """
    monkeypatch.delenv(download.DATA_HOME_ENV, raising=False)
    monkeypatch.setenv(download.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(download, "REMOTE_FILES", dict(download.REMOTE_FILES))
    real_open = download._open_url

    def local_only(url: str, timeout: float):
        parsed = urlparse(url)
        if parsed.scheme != "file" and parsed.hostname not in ("127.0.0.1", "localhost"):
            raise urllib.error.URLError(f"the tests do not use the internet ({url})")
        return real_open(url, timeout)

    monkeypatch.setattr(download, "_open_url", local_only)
    return tmp_path


@pytest.fixture
def install(isolated_data: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, bytes], Path]:
    """Put fabricated bytes into a data home at a registered file's mirror_path and pin them.

    Returns a function install(key, data) -> path; loaders then read the file through `fetch`
    exactly as they read the real mirror.
    """
    home = isolated_data / "home"
    home.mkdir()
    monkeypatch.setenv(download.DATA_HOME_ENV, str(home))

    def _install(key: str, data: bytes) -> Path:
        remote = download.REMOTE_FILES[key]
        path = home / remote.mirror_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        download.REMOTE_FILES[key] = dataclasses.replace(remote, sha256=digest)
        return path

    return _install


@pytest.fixture
def shared_mirror(isolated_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point RECSYS_DATA_HOME at ../shared/data; skip without it, but fail on CI."""
    if not MIRROR.is_dir():
        message = f"the data mirror {MIRROR} is missing (it should hold the real data sets)"
        if _on_ci():
            pytest.fail(message)
        pytest.skip(message + "; these checks run where the mirror is present")
    monkeypatch.setenv(download.DATA_HOME_ENV, str(MIRROR))
    return MIRROR

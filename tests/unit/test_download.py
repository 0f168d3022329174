"""fetch: mirror first, then cache, then a verified, atomic download."""

from __future__ import annotations

import hashlib
import io
import shutil
import socket
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from recsys_helpers.data import download
from recsys_helpers.data.download import RemoteFile, fetch
from recsys_helpers.errors import ChecksumError, DataError, UnknownNameError

pytestmark = pytest.mark.unit

PAYLOAD = b"user,item\n1,2\n" * 100
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A web server on 127.0.0.1 serving the folder it returns, and its base URL."""
    root = tmp_path / "served"
    root.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/file.csv"


def _register(url: str, sha256: str | None = PAYLOAD_SHA, member: str | None = None) -> str:
    remote = RemoteFile("test/file", url, "file.csv", sha256, "test/file.csv", member=member)
    download.REMOTE_FILES[remote.key] = remote
    return remote.key


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture(autouse=True)
def _isolated(isolated_data: Path) -> Path:
    return isolated_data


def test_download_verifies_and_renames_atomically(server, isolated_data, monkeypatch):
    root, base = server
    (root / "file.csv").write_bytes(PAYLOAD)
    key = _register(f"{base}/file.csv")
    renames = []
    real_replace = download.os.replace

    def spy(src, dst):
        renames.append((Path(src), Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(download.os, "replace", spy)
    path = fetch(key)

    assert path == isolated_data / "cache" / "test" / "file.csv"
    assert path.read_bytes() == PAYLOAD
    assert _files(isolated_data / "cache") == [path]  # no temporary file left
    (src, dst), = renames
    assert dst == path and src.parent == path.parent and src != path


def test_cached_file_is_used_without_network(isolated_data):
    key = _register(_closed_port_url())
    cached = isolated_data / "cache" / "test" / "file.csv"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(PAYLOAD)
    assert fetch(key) == cached


def test_cached_file_with_wrong_checksum_is_downloaded_again(server, isolated_data):
    root, base = server
    (root / "file.csv").write_bytes(PAYLOAD)
    key = _register(f"{base}/file.csv")
    cached = isolated_data / "cache" / "test" / "file.csv"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"half a fi")
    assert fetch(key).read_bytes() == PAYLOAD


def test_checksum_mismatch_leaves_no_file(server, isolated_data):
    root, base = server
    (root / "file.csv").write_bytes(PAYLOAD + b"changed upstream")
    key = _register(f"{base}/file.csv")
    with pytest.raises(ChecksumError) as caught:
        fetch(key)
    message = str(caught.value)
    actual = hashlib.sha256(PAYLOAD + b"changed upstream").hexdigest()
    assert PAYLOAD_SHA in message and actual in message and "file.csv" in message
    assert _files(isolated_data / "cache") == []


def test_connection_failure_names_url_and_data_home(isolated_data):
    url = _closed_port_url()
    key = _register(url)
    with pytest.raises(DataError) as caught:
        fetch(key)
    assert url in str(caught.value)
    assert "RECSYS_DATA_HOME" in str(caught.value) and "test/file.csv" in str(caught.value)
    assert _files(isolated_data / "cache") == []


def test_http_error_is_a_data_error(server):
    _, base = server
    key = _register(f"{base}/missing.csv")
    with pytest.raises(DataError, match="HTTP 404"):
        fetch(key)


def test_failed_download_mentions_data_home_without_the_file(isolated_data, monkeypatch):
    home = isolated_data / "empty-mirror"
    home.mkdir()
    monkeypatch.setenv("RECSYS_DATA_HOME", str(home))
    key = _register(_closed_port_url())
    with pytest.raises(DataError, match="has no test/file.csv") as caught:
        fetch(key)
    assert str(home) in str(caught.value)


def test_unknown_key_lists_known_keys():
    with pytest.raises(UnknownNameError, match="ml-latest-small"):
        fetch("no-such-file")


def test_unpinned_file_is_accepted_with_its_digest(server):
    root, base = server
    (root / "file.csv").write_bytes(PAYLOAD)
    key = _register(f"{base}/file.csv", sha256=None)
    with pytest.warns(UserWarning, match=PAYLOAD_SHA):
        assert fetch(key).read_bytes() == PAYLOAD


def test_file_url_works(tmp_path):
    source = tmp_path / "source.csv"
    source.write_bytes(PAYLOAD)
    assert fetch(_register(source.as_uri())).read_bytes() == PAYLOAD


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_member_is_extracted_and_verified(server, isolated_data):
    root, base = server
    (root / "bundle.zip").write_bytes(_zip_bytes({"bundle/file.csv": PAYLOAD, "other": b"x"}))
    key = _register(f"{base}/bundle.zip", member="bundle/file.csv")
    path = fetch(key)
    assert path.read_bytes() == PAYLOAD
    assert _files(isolated_data / "cache") == [path]


@pytest.mark.parametrize(
    ("archive", "message"),
    [(_zip_bytes({"other": b"x"}), "no member"), (b"not a zip at all", "BadZipFile")],
)
def test_bad_archive_is_a_data_error(server, isolated_data, archive, message):
    root, base = server
    (root / "bundle.zip").write_bytes(archive)
    key = _register(f"{base}/bundle.zip", member="bundle/file.csv")
    with pytest.raises(DataError, match=message):
        fetch(key)
    assert _files(isolated_data / "cache") == []


def test_mirror_name_must_end_with_filename():
    with pytest.raises(ValueError, match="must end with"):
        RemoteFile("k", "https://example.org/a.csv", "a.csv", None, "folder/b.csv")


@pytest.mark.shared_data
def test_mirror_files_pass_their_checksums(shared_mirror, isolated_data):
    mirrored = [r for r in download.REMOTE_FILES.values()
                if (shared_mirror / r.mirror_path).is_file()]
    assert len(mirrored) == 9
    for remote in mirrored:
        assert remote.sha256 is not None
        assert fetch(remote.key) == shared_mirror / remote.mirror_path
    assert _files(isolated_data / "cache") == []  # nothing downloaded or copied


@pytest.mark.shared_data
def test_corrupt_mirror_copy_is_reported_and_kept(shared_mirror, isolated_data, monkeypatch):
    remote = download.REMOTE_FILES["banking77/categories"]
    home = isolated_data / "home"
    copy = home / remote.mirror_path
    copy.parent.mkdir(parents=True)
    shutil.copyfile(shared_mirror / remote.mirror_path, copy)
    data = bytearray(copy.read_bytes())
    data[10:14] = bytes(b ^ 0xFF for b in data[10:14])
    copy.write_bytes(bytes(data))
    monkeypatch.setenv("RECSYS_DATA_HOME", str(home))

    with pytest.raises(ChecksumError) as caught:
        fetch(remote.key)
    message = str(caught.value)
    assert remote.sha256 in message and hashlib.sha256(data).hexdigest() in message
    assert str(copy) in message and "restore" in message
    assert copy.read_bytes() == bytes(data)  # the mirror is never modified

"""Every raw data file the helpers read comes through `fetch`, which checks it before use.

A file is looked for in three places, in this order:

1. the local mirror named by the environment variable ``RECSYS_DATA_HOME`` (read-only, never
   written to), at the file's ``mirror_path``;
2. the download cache, ``RECSYS_CACHE_DIR`` or ``~/.cache/recsys_helpers``, in the same layout;
3. the official URL, downloaded into the cache.

Whatever the source, the file's sha256 is compared with the registered one, so a notebook never
trains on a truncated or silently changed file. A few files have no published sha256
(``sha256=None``: ml-100k, ml-1m and the Amazon categories other than Gift Cards); they are
accepted with a warning that prints the digest so it can be pinned. Keep that set small: an
unpinned file could change at its source without anyone noticing.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import ChecksumError, DataError, RecsysHelpersError, UnknownNameError

logger = logging.getLogger(__name__)

DATA_HOME_ENV = "RECSYS_DATA_HOME"
CACHE_DIR_ENV = "RECSYS_CACHE_DIR"
TIMEOUT_S = 60
_USER_AGENT = "recsys-helpers/0.1 (Python urllib; teaching notebooks)"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class RemoteFile:
    """One file: where it is published, its checksum, and where a mirror or the cache keeps it.

    ``filename`` is the name of the file that `fetch` returns; ``mirror_path`` (relative to a
    data home, forward slashes) ends with it. ``sha256`` is the digest of that returned file, or
    None where no checksum is published. When ``member`` is set, ``url`` points to a zip archive
    and ``member`` is the file taken out of it; the checksum then covers the extracted member.
    """

    key: str
    url: str
    filename: str
    sha256: str | None
    mirror_path: str
    member: str | None = None

    def __post_init__(self) -> None:
        if Path(self.mirror_path).name != self.filename:
            raise ValueError(f"{self.key}: mirror_path {self.mirror_path!r} must end with "
                             f"filename {self.filename!r}")


_ML = "https://files.grouplens.org/datasets/movielens"
_AMAZON_2018 = "https://jmcauley.ucsd.edu/data/amazon_v2"
_BANKING = "https://raw.githubusercontent.com/PolyAI-LDN/task-specific-datasets/master/banking_data"
_WANDS = "https://raw.githubusercontent.com/wayfair/WANDS/main/dataset"
# The CrowdFlower file sits behind a Kaggle login: no plain URL serves it, so the entry names the
# competition page and `recsys_helpers.data.search_sets` says how to fetch it with the Kaggle CLI.
CROWDFLOWER_PAGE = "https://www.kaggle.com/competitions/crowdflower-search-relevance/data"
_PHRASEBANK_ZIP = (
    "https://huggingface.co/datasets/takala/financial_phrasebank/resolve/main/data/"
    "FinancialPhraseBank-v1.0.zip"
)

# Checksums come from the local mirror's README, computed on the official files. GroupLens
# publishes only MD5 sums for ml-100k and ml-1m, so those two are unpinned (None) for now.
_KNOWN = [
    RemoteFile(
        "ml-latest-small", f"{_ML}/ml-latest-small.zip", "ml-latest-small.zip",
        "696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436",
        "movielens/ml-latest-small.zip",
    ),
    RemoteFile("ml-100k", f"{_ML}/ml-100k.zip", "ml-100k.zip", None, "movielens/ml-100k.zip"),
    RemoteFile("ml-1m", f"{_ML}/ml-1m.zip", "ml-1m.zip", None, "movielens/ml-1m.zip"),
    RemoteFile(
        "amazon2018/Gift_Cards/reviews", f"{_AMAZON_2018}/categoryFilesSmall/Gift_Cards_5.json.gz",
        "Gift_Cards_5.json.gz",
        "41e1f0e50d3c1c9d7d949fb6315944c8bde51ea6b7429a29fdd0d02cbc07ef25",
        "amazon-2018/Gift_Cards_5.json.gz",
    ),
    RemoteFile(
        "amazon2018/Gift_Cards/meta", f"{_AMAZON_2018}/metaFiles2/meta_Gift_Cards.json.gz",
        "meta_Gift_Cards.json.gz",
        "07fd154b7275ab9b1537e3802913508c7a5f84ed00f73201cd3fa18b2b51b342",
        "amazon-2018/meta_Gift_Cards.json.gz",
    ),
    RemoteFile(
        "banking77/train", f"{_BANKING}/train.csv", "train.csv",
        "b06e26ac675513959a63135f11b94ea7786ed02da65db93a5650d8838cbc664b",
        "banking77/train.csv",
    ),
    RemoteFile(
        "banking77/test", f"{_BANKING}/test.csv", "test.csv",
        "d12d6e3bc4c3103966ae786dc435913c0c563dfa328f5a3646d0e62cfeeb474d",
        "banking77/test.csv",
    ),
    RemoteFile(
        "banking77/categories", f"{_BANKING}/categories.json", "categories.json",
        "53261da888122daf2d120d925458631d9619e15d82e56052e7a42e535ce32b63",
        "banking77/categories.json",
    ),
    RemoteFile(
        "financial-phrasebank/50agree", _PHRASEBANK_ZIP, "Sentences_50Agree.txt",
        "bb1b4df6de05d50b146f87a9d4d024b69f947066445f2384f014c3564c1612c8",
        "financial-phrasebank/Sentences_50Agree.txt",
        member="FinancialPhraseBank-v1.0/Sentences_50Agree.txt",
    ),
    RemoteFile(
        "crowdflower-search/train", CROWDFLOWER_PAGE, "train.csv.zip",
        "d690ace31d321c646ffaeabd95255b4eea5126bae71ab568820f7f2c50094a28",
        "crowdflower-search/train.csv.zip",
    ),
    RemoteFile(
        "wands/query", f"{_WANDS}/query.csv", "query.csv",
        "63b61660560fecc33ec490804c7e2b81402ee3e7c31a9cbb5e03736639f68e95", "wands/query.csv",
    ),
    RemoteFile(
        "wands/product", f"{_WANDS}/product.csv", "product.csv",
        "d993926254572e6eba96c8fd87cc549a17fb91ad3748308036eee4cf92b10ac6", "wands/product.csv",
    ),
    RemoteFile(
        "wands/label", f"{_WANDS}/label.csv", "label.csv",
        "c11fe81ad62f17f56f316b0ec9630ebe8fbe1393578cb0ca4f05c17253a180ef", "wands/label.csv",
    ),
]

# Checksums of members read straight out of a registered archive (the archive's own checksum is
# in its entry above): key -> {member: sha256}.
ARCHIVE_MEMBERS: dict[str, dict[str, str]] = {
    "crowdflower-search/train": {
        "train.csv": "baed6b6d1f2d2eabe821425e42afb8134c19ef258342c61a8116f9a5c4d5921a",
    },
}

REMOTE_FILES: dict[str, RemoteFile] = {f.key: f for f in _KNOWN}


def register(remote: RemoteFile) -> RemoteFile:
    """Add a file to the registry unless its key is known; return the registered entry.

    Loaders call this for files whose name depends on a parameter (an Amazon category), so an
    entry with a pinned checksum is never replaced by an unpinned one.
    """
    return REMOTE_FILES.setdefault(remote.key, remote)


def data_home() -> Path | None:
    """The read-only mirror named by RECSYS_DATA_HOME, or None when the variable is unset."""
    value = os.environ.get(DATA_HOME_ENV, "").strip()
    return Path(value).expanduser() if value else None


def cache_dir() -> Path:
    """Where downloads are kept: RECSYS_CACHE_DIR, else ~/.cache/recsys_helpers."""
    value = os.environ.get(CACHE_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else Path.home() / ".cache" / "recsys_helpers"


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks so that large files do not fill the memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(key: str) -> Path:
    """Return a local, checksum-verified path to the registered file `key`.

    Tries the mirror (RECSYS_DATA_HOME), then the cache, then downloads into the cache (see the
    module docstring). Raises UnknownNameError, DataError (download failed) or ChecksumError.
    """
    remote = REMOTE_FILES.get(key)
    if remote is None:
        raise UnknownNameError(f"unknown data file {key!r}; known files: {sorted(REMOTE_FILES)}")

    note = ""
    home = data_home()
    if home is not None:
        mirrored = home / remote.mirror_path
        if mirrored.is_file():
            _check_mirrored(mirrored, remote)
            return mirrored
        note = f"{DATA_HOME_ENV}={home} was searched but has no {remote.mirror_path}. "

    target = cache_dir() / remote.mirror_path
    if target.is_file():
        actual = sha256_of(target)
        if remote.sha256 is None:
            _warn_unpinned(remote, target, actual)
            return target
        if actual == remote.sha256:
            return target
        logger.warning("cached %s has a wrong checksum; downloading it again", target)
        target.unlink()
    _download(remote, target, note)
    return target


def _check_mirrored(path: Path, remote: RemoteFile) -> None:
    actual = sha256_of(path)
    if remote.sha256 is None:
        _warn_unpinned(remote, path, actual)
    elif actual != remote.sha256:
        raise ChecksumError(
            f"{path} (from {DATA_HOME_ENV}) has sha256 {actual}, expected {remote.sha256}. "
            f"The mirror copy of {remote.filename} is damaged or another version: restore it "
            f"from {remote.url}, or unset {DATA_HOME_ENV} to download a verified copy."
        )


def _warn_unpinned(remote: RemoteFile, path: Path, actual: str) -> None:
    warnings.warn(
        f"{remote.filename} ({remote.key}) has no registered checksum; accepted {path} with "
        f"sha256 {actual}. Pin this digest in recsys_helpers/data/download.py once verified.",
        UserWarning,
        stacklevel=3,
    )


def _download(remote: RemoteFile, target: Path, note: str) -> None:
    """Download into a temporary file next to `target`, verify it, then rename it atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporaries: list[Path] = []
    try:
        raw = _temporary(target, temporaries)
        logger.info("downloading %s to %s", remote.url, target)
        _stream(remote, raw, note)
        final = raw
        if remote.member is not None:
            final = _temporary(target, temporaries)
            _extract(raw, remote, final)
        actual = sha256_of(final)
        if remote.sha256 is None:
            _warn_unpinned(remote, target, actual)
        elif actual != remote.sha256:
            raise ChecksumError(
                f"the download of {remote.filename} from {remote.url} has sha256 {actual}, "
                f"expected {remote.sha256}; nothing was saved. The transfer was corrupted or the "
                "file changed at the source: run again, and if this repeats, check the source "
                "and the registered checksum."
            )
        os.replace(final, target)
    finally:
        for path in temporaries:
            path.unlink(missing_ok=True)


def _temporary(target: Path, temporaries: list[Path]) -> Path:
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(handle)
    temporaries.append(Path(name))
    return Path(name)


def _open_url(url: str, timeout: float):
    """Open `url`; a separate function so that tests can keep the suite off the internet."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    return urllib.request.urlopen(request, timeout=timeout)


def _stream(remote: RemoteFile, dest: Path, note: str) -> None:
    try:
        with _open_url(remote.url, TIMEOUT_S) as response, open(dest, "wb") as out:
            shutil.copyfileobj(response, out, _CHUNK)
    except urllib.error.HTTPError as exc:
        raise _network_error(remote, f"HTTP {exc.code} {exc.reason}", note) from exc
    except urllib.error.URLError as exc:
        raise _network_error(remote, str(exc.reason), note) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise _network_error(remote, f"{type(exc).__name__}: {exc}", note) from exc


def _network_error(remote: RemoteFile, reason: str, note: str) -> DataError:
    return DataError(
        f"could not download {remote.url} ({reason}). {note}"
        f"Working offline? Set {DATA_HOME_ENV} to a folder laid out like the data mirror, "
        f"with this file at <{DATA_HOME_ENV}>/{remote.mirror_path}."
    )


def _extract(archive: Path, remote: RemoteFile, dest: Path) -> None:
    with reading(archive, f"the archive behind {remote.filename}"), zipfile.ZipFile(archive) as z:
        if remote.member not in z.namelist():
            raise DataError(
                f"the archive downloaded from {remote.url} has no member {remote.member!r}; "
                "the source layout changed: check the URL."
            )
        with z.open(remote.member) as src, open(dest, "wb") as out:
            shutil.copyfileobj(src, out, _CHUNK)


# Errors that mean "this file is truncated, corrupt or not in the expected format".
READ_ERRORS = (
    zipfile.BadZipFile,
    EOFError,
    zlib.error,
    OSError,  # includes gzip.BadGzipFile
    UnicodeDecodeError,
    ValueError,  # includes json.JSONDecodeError and pandas parser errors
)


@contextmanager
def reading(path: Path, what: str) -> Iterator[None]:
    """Turn low-level read errors on a fetched file into a DataError naming the file and fix."""
    try:
        yield
    except RecsysHelpersError:
        raise  # already says what is wrong (ParameterError is also a ValueError)
    except READ_ERRORS as exc:
        raise DataError(
            f"could not read {what} from {path} ({type(exc).__name__}: {exc}). The file is "
            "truncated, corrupt or of another format: delete it so that it is downloaded "
            f"again, or, if it lies under {DATA_HOME_ENV}, restore the mirror copy."
        ) from exc

"""CIFAR-10 from its python-version batches in a local folder, read without unpickling arbitrary objects.

The data set is not shipped and never downloaded at build or test time. Point
:func:`load_cifar10` at a folder holding either the extracted
``cifar-10-batches-py`` directory, its files directly, or the archive
``cifar-10-python.tar.gz`` (the published MD5 is checked, then the archive is
extracted); or set the environment variable ``NNTHEORY_CIFAR10_DIR``. Users
who are online may call :func:`download_cifar10` once.

The batches are Python pickles. Unpickling can execute arbitrary code, so
they are read by a restricted unpickler that resolves only the handful of
globals a CIFAR-10 batch needs (numpy's array reconstructor, ``ndarray``,
``dtype``, and ``_codecs.encode`` for byte strings) and refuses anything else
before it is called.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import shutil
import struct
import tarfile
import tempfile
import zlib
from pathlib import Path
from typing import Callable

import numpy as np

from nntheory import _checks
from nntheory.data.preprocessing import Splits

__all__ = [
    "ENV_VAR",
    "ARCHIVE_NAME",
    "ARCHIVE_MD5",
    "URL",
    "CLASSES",
    "read_batch",
    "load_cifar10",
    "download_cifar10",
    "md5sum",
]

ENV_VAR = "NNTHEORY_CIFAR10_DIR"
URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
ARCHIVE_NAME = "cifar-10-python.tar.gz"
ARCHIVE_MD5 = "c58f30108f718f92721af3b95e74349a"
_FOLDER = "cifar-10-batches-py"
# The published MD5 of each batch file (as listed by torchvision).
_BATCH_MD5 = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
}
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

_HOW_TO_GET = (
    "CIFAR-10 was not found. Download the python version (" + URL + ", 163 MB), "
    "put cifar-10-python.tar.gz or its extracted folder cifar-10-batches-py in a directory, "
    "and pass that directory as root= or set the environment variable " + ENV_VAR + "; "
    "or call nntheory.data.cifar10.download_cifar10(directory) once while online."
)

# The only globals a CIFAR-10 batch pickle refers to (Python 2 or 3, numpy 1 or 2).
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only :data:`_ALLOWED_GLOBALS`; any other global is refused before it is called."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            if module == "numpy.core.multiarray":  # numpy >= 2 keeps it in numpy._core
                try:
                    return super().find_class("numpy._core.multiarray", name)
                except (ImportError, AttributeError):  # pragma: no cover - numpy 1
                    pass
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"refusing to load the global {module}.{name}: a CIFAR-10 batch holds only a dict of "
            "labels, byte strings and a numpy uint8 array; this file is not one (or was tampered with)"
        )


def md5sum(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """Hex MD5 digest of a file, read in chunks.

    Parameters
    ----------
    path : path-like
    chunk_size : int, default 1 MiB

    Returns
    -------
    str
    """
    _checks.check_path(path, "path")
    chunk_size = _checks.check_int(chunk_size, "chunk_size", low=1)
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


def _key(d: dict, name: str):
    # Python-2 pickles loaded with encoding="bytes" have bytes keys.
    for k in (name, name.encode()):
        if k in d:
            return d[k]
    raise ValueError(f"the batch has no {name!r} entry (keys: {sorted(map(str, d))})")


def read_batch(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read one CIFAR-10 python batch file with the restricted unpickler.

    Parameters
    ----------
    path : path-like
        A ``data_batch_*`` or ``test_batch`` file.

    Returns
    -------
    X : ndarray of uint8, shape (n, 3072)
        One image per row: 1024 red, then 1024 green, then 1024 blue values,
        each a 32x32 image in row-major order.
    y : ndarray of int64, shape (n,)
        Labels 0-9 (see :data:`CLASSES`).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file is corrupted, refers to a forbidden object, or does not
        hold a valid batch.
    TypeError
        If ``path`` is not a path.
    """
    path = Path(_checks.check_path(path, "path"))
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist. " + _HOW_TO_GET)
    try:
        with open(path, "rb") as f:
            batch = _RestrictedUnpickler(f, encoding="bytes").load()
    except pickle.UnpicklingError as err:
        raise ValueError(f"{path}: not a valid CIFAR-10 batch: {err}") from err
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError, UnicodeDecodeError,
            MemoryError, OverflowError, RecursionError, struct.error) as err:
        # Random bytes can ask the unpickler for absurd allocations or
        # lengths; whatever the parse fails with, the file is not a batch.
        raise ValueError(f"{path}: corrupted or truncated CIFAR-10 batch ({type(err).__name__}: {err})") from err
    if not isinstance(batch, dict):
        raise ValueError(f"{path}: expected a dict, got {type(batch).__name__}")
    X, y = _key(batch, "data"), _key(batch, "labels")
    if not isinstance(X, np.ndarray) or X.dtype != np.uint8 or X.ndim != 2 or X.shape[1] != 3072:
        got = (X.dtype, X.shape) if isinstance(X, np.ndarray) else type(X).__name__
        raise ValueError(f"{path}: 'data' must be a uint8 array of shape (n, 3072), got {got}")
    if not isinstance(y, list) or len(y) != X.shape[0] or not all(isinstance(v, int) and 0 <= v < 10 for v in y):
        raise ValueError(f"{path}: 'labels' must be a list of {X.shape[0]} integers in [0, 9]")
    return X, np.asarray(y, dtype=np.int64)


def _locate(root: str | os.PathLike | None, verify: bool) -> Path:
    """The directory that holds the batch files, extracting a verified archive if needed."""
    if root is None:
        root = os.environ.get(ENV_VAR)
        if not root:
            raise FileNotFoundError(f"no root given and {ENV_VAR} is not set. " + _HOW_TO_GET)
    root = Path(_checks.check_path(root, "root")).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a directory. " + _HOW_TO_GET)
    archive = root / ARCHIVE_NAME
    if verify and archive.is_file() and md5sum(archive) != ARCHIVE_MD5:
        raise ValueError(f"{archive}: MD5 mismatch (expected {ARCHIVE_MD5}); the archive is corrupted, delete it and download again")
    for candidate in (root / _FOLDER, root):
        if (candidate / "test_batch").is_file():
            return candidate
    if archive.is_file():
        _extract(archive, root)
        if (root / _FOLDER / "test_batch").is_file():
            return root / _FOLDER
    raise FileNotFoundError(f"no CIFAR-10 batches in {root}. " + _HOW_TO_GET)


def _extract(archive: Path, root: Path) -> None:
    """Extract ``cifar-10-batches-py`` from the archive into ``root`` without overwriting anything.

    The archive is extracted into a fresh temporary folder inside ``root``
    with tarfile's ``"data"`` filter (which refuses absolute paths, ``..``,
    links that leave the folder and device files); only then is the folder
    ``cifar-10-batches-py`` renamed into place, and only if ``root`` holds
    none yet. Other members of the archive are discarded with the temporary
    folder. So an unsafe or foreign archive writes nothing into ``root``.
    """
    tmp = Path(tempfile.mkdtemp(prefix=".cifar10-extract-", dir=root))
    try:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(tmp, filter="data")
        except tarfile.FilterError as err:  # AbsolutePathError, OutsideDestinationError, SpecialFileError, ...
            member = getattr(err, "tarinfo", None)
            name = member.name if member is not None else "?"
            raise ValueError(f"{archive}: refusing the unsafe member {name!r} ({type(err).__name__}: {err}); nothing was extracted into {root}") from err
        except (tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error) as err:
            raise ValueError(f"{archive}: not a readable .tar.gz archive ({type(err).__name__}: {err})") from err
        src, dst = tmp / _FOLDER, root / _FOLDER
        if not src.is_dir():
            return
        if dst.exists():
            raise FileExistsError(f"{dst} exists but holds no test_batch; not overwriting it with the archive's copy (move it away, or point root at a complete copy)")
        os.rename(src, dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load_cifar10(root: str | os.PathLike | None = None, *, n_val: int = 5000, verify: bool = True) -> Splits:
    """Load CIFAR-10 (python version) from a local folder.

    Parameters
    ----------
    root : path-like, optional
        Folder with ``cifar-10-batches-py/``, its files, or the archive.
        Defaults to the environment variable ``NNTHEORY_CIFAR10_DIR``.
    n_val : int, default 5000
        The last ``n_val`` of the 50,000 training images are held out as the
        validation set (the UvA assignment's 45,000/5,000 split).
    verify : bool, default True
        Check the published MD5 of the archive (if present) and of every batch file.

    Returns
    -------
    Splits
        uint8 inputs of shape ``(n, 3072)`` (three channels), labels 0-9.

    Raises
    ------
    FileNotFoundError
        If the data cannot be found; the message says how to get it.
    FileExistsError
        If the archive must be extracted but ``root`` already holds a
        ``cifar-10-batches-py`` folder without the batches (nothing is
        overwritten).
    ValueError
        On a checksum mismatch, a corrupted or foreign batch file, or an
        archive that is not a readable ``.tar.gz`` or holds an unsafe member
        (an absolute path, a path with ``..``, a link out of the folder, a
        device file): tarfile's ``FilterError`` is wrapped in a
        ``ValueError`` naming the member, and nothing is written into
        ``root``.
    TypeError
        If ``root`` is not a path, ``n_val`` not an int or ``verify`` not a bool.

    Notes
    -----
    Loading never executes anything from the files (batches are read by a
    restricted unpickler) and never overwrites a file: the archive is
    extracted into a temporary folder and its ``cifar-10-batches-py`` moved
    into ``root`` only if no folder of that name exists.
    """
    if root is not None:
        _checks.check_path(root, "root")
    n_val = _checks.check_int(n_val, "n_val", low=0, high=49_999)
    verify = _checks.check_bool(verify, "verify")
    folder = _locate(root, verify)
    parts = {}
    for name in _BATCH_MD5:
        path = folder / name
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing. " + _HOW_TO_GET)
        if verify and md5sum(path) != _BATCH_MD5[name]:
            raise ValueError(f"{path}: MD5 mismatch (expected {_BATCH_MD5[name]}); the file is corrupted")
        parts[name] = read_batch(path)
    X = np.concatenate([parts[f"data_batch_{i}"][0] for i in range(1, 6)])
    y = np.concatenate([parts[f"data_batch_{i}"][1] for i in range(1, 6)])
    if not 0 <= n_val < X.shape[0]:
        raise ValueError(f"n_val must lie in [0, {X.shape[0]}), got {n_val!r}")
    n_fit = X.shape[0] - n_val
    X_test, y_test = parts["test_batch"]
    return Splits(X_train=X[:n_fit], y_train=y[:n_fit], X_val=X[n_fit:], y_val=y[n_fit:], X_test=X_test, y_test=y_test, name="CIFAR-10", n_channels=3, n_classes=10)


def download_cifar10(dest: str | os.PathLike, *, url: str = URL, urlopen: Callable | None = None, progress: bool = True, chunk_size: int = 1 << 16) -> Path:
    """Download the CIFAR-10 archive into ``dest`` (for users who are online).

    The bytes go to a temporary file in ``dest``; only when the MD5 matches
    is it renamed atomically (:func:`os.replace`) to ``cifar-10-python.tar.gz``.
    An existing archive is never overwritten. Never called by the site build
    or the tests.

    Parameters
    ----------
    dest : path-like
        Existing directory to download into.
    url : str
        Where to download from.
    urlopen : callable, optional
        ``urlopen(url)`` returning a readable response, by default
        :func:`urllib.request.urlopen`; a test can inject a fake one.
    progress : bool, default True
        Show a ``tqdm`` progress bar (if ``tqdm`` is installed).
    chunk_size : int, default 64 KiB

    Returns
    -------
    pathlib.Path
        The archive's path; pass ``dest`` to :func:`load_cifar10`.

    Raises
    ------
    FileExistsError
        If the archive already exists in ``dest``.
    ValueError
        If the downloaded file's MD5 is wrong (the temporary file is deleted).
    """
    dest = Path(_checks.check_path(dest, "dest"))
    if not isinstance(url, str) or not url:
        raise TypeError(f"url must be a non-empty str, got {url!r}")
    if urlopen is not None:
        _checks.check_callable(urlopen, "urlopen")
    progress = _checks.check_bool(progress, "progress")
    chunk_size = _checks.check_int(chunk_size, "chunk_size", low=1)
    if not dest.is_dir():
        raise FileNotFoundError(f"dest must be an existing directory, got {dest}")
    target = dest / ARCHIVE_NAME
    if target.exists():
        raise FileExistsError(f"{target} exists already; not overwriting it (delete it to download again)")
    if urlopen is None:
        from urllib.request import urlopen
    bar = None
    tmp = dest / f".{ARCHIVE_NAME}.{os.getpid()}.part"
    h = hashlib.md5()
    try:
        with urlopen(url) as response, open(tmp, "xb") as out:
            total = response.headers.get("Content-Length") if hasattr(response, "headers") else None
            if progress:
                try:
                    from tqdm.auto import tqdm

                    bar = tqdm(total=int(total) if total else None, unit="B", unit_scale=True, desc=ARCHIVE_NAME)
                except ImportError:  # pragma: no cover - optional extra
                    bar = None
            for chunk in iter(lambda: response.read(chunk_size), b""):
                out.write(chunk)
                h.update(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        if h.hexdigest() != ARCHIVE_MD5:
            raise ValueError(f"downloaded file has MD5 {h.hexdigest()}, expected {ARCHIVE_MD5}; discarded")
        if target.exists():  # somebody else finished first
            raise FileExistsError(f"{target} appeared during the download; not overwriting it")
        os.replace(tmp, target)
    finally:
        if bar is not None:
            bar.close()
        if tmp.exists():
            tmp.unlink()
    return target

"""The CIFAR-10 reader on tiny synthetic batches written in the same pickle format."""

import hashlib
import io
import os
import pickle

import numpy as np
import pytest

from nntheory.data import cifar10


def _write_batch(path, X, labels, protocol=2):
    # The real files are Python-2 pickles with byte-string keys; protocol 2 keeps that format.
    with open(path, "wb") as f:
        pickle.dump({b"batch_label": b"synthetic", b"labels": list(labels), b"data": X, b"filenames": [b"x.png"] * len(labels)}, f, protocol=protocol)


def _fake_folder(tmp_path, rng, n=4):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    data = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        X = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        y = [int(v) for v in rng.integers(0, 10, n)]
        _write_batch(folder / name, X, y)
        data[name] = (X, y)
    return folder, data


@pytest.mark.parametrize("protocol", [2, 4])
def test_read_batch_round_trip(tmp_path, rng, protocol):
    X = rng.integers(0, 256, (3, 3072), dtype=np.uint8)
    _write_batch(tmp_path / "b", X, [0, 9, 4], protocol=protocol)
    X2, y2 = cifar10.read_batch(tmp_path / "b")
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, [0, 9, 4])
    assert y2.dtype == np.int64


def test_load_from_root_and_environment(tmp_path, rng, monkeypatch):
    _, data = _fake_folder(tmp_path, rng)
    splits = cifar10.load_cifar10(tmp_path, n_val=3, verify=False)
    assert splits.name == "CIFAR-10" and splits.n_channels == 3
    assert splits.X_train.shape == (17, 3072) and splits.X_val.shape == (3, 3072) and splits.X_test.shape == (4, 3072)
    np.testing.assert_array_equal(splits.X_train[:4], data["data_batch_1"][0])
    np.testing.assert_array_equal(splits.y_val, data["data_batch_5"][1][1:])
    np.testing.assert_array_equal(splits.X_test, data["test_batch"][0])
    monkeypatch.setenv(cifar10.ENV_VAR, str(tmp_path / "cifar-10-batches-py"))
    again = cifar10.load_cifar10(n_val=3, verify=False)
    np.testing.assert_array_equal(again.X_train, splits.X_train)


def test_archive_is_extracted(tmp_path, rng):
    import tarfile

    src = tmp_path / "src"
    src.mkdir()
    _, data = _fake_folder(src, rng)
    root = tmp_path / "root"
    root.mkdir()
    with tarfile.open(root / cifar10.ARCHIVE_NAME, "w:gz") as tar:
        tar.add(src / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    splits = cifar10.load_cifar10(root, n_val=0, verify=False)
    np.testing.assert_array_equal(splits.X_test, data["test_batch"][0])
    assert (root / "cifar-10-batches-py" / "test_batch").is_file()


def test_checksums_are_verified(tmp_path, rng):
    _fake_folder(tmp_path, rng)
    with pytest.raises(ValueError, match="MD5 mismatch"):
        cifar10.load_cifar10(tmp_path)  # synthetic files cannot match the published digests
    (tmp_path / cifar10.ARCHIVE_NAME).write_bytes(b"not the archive")
    with pytest.raises(ValueError, match="MD5 mismatch"):
        cifar10.load_cifar10(tmp_path)


def test_md5sum_matches_hashlib(tmp_path, rng):
    blob = rng.bytes(3_000_000)
    (tmp_path / "f").write_bytes(blob)
    assert cifar10.md5sum(tmp_path / "f") == hashlib.md5(blob).hexdigest()


def test_missing_data_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.delenv(cifar10.ENV_VAR, raising=False)
    with pytest.raises(FileNotFoundError, match=cifar10.ENV_VAR):
        cifar10.load_cifar10()
    with pytest.raises(FileNotFoundError, match="download_cifar10"):
        cifar10.load_cifar10(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        cifar10.read_batch(tmp_path / "nothing")


def test_corrupted_file_is_refused(tmp_path, rng):
    _write_batch(tmp_path / "b", rng.integers(0, 256, (3, 3072), dtype=np.uint8), [1, 2, 3])
    blob = (tmp_path / "b").read_bytes()
    (tmp_path / "truncated").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match="corrupted|not a valid"):
        cifar10.read_batch(tmp_path / "truncated")
    # Many random byte strings, including ones that start like a pickle, so
    # the parser meets absurd lengths and opcodes: always a ValueError.
    for k in range(200):
        garbage = rng.bytes(1000)
        if k % 2:
            garbage = b"\x80\x04" + garbage
        (tmp_path / "garbage").write_bytes(garbage)
        with pytest.raises(ValueError):
            cifar10.read_batch(tmp_path / "garbage")


def test_wrong_contents_are_refused(tmp_path, rng):
    _write_batch(tmp_path / "shape", rng.integers(0, 256, (3, 100), dtype=np.uint8), [1, 2, 3])
    with pytest.raises(ValueError, match=r"\(n, 3072\)"):
        cifar10.read_batch(tmp_path / "shape")
    _write_batch(tmp_path / "labels", rng.integers(0, 256, (3, 3072), dtype=np.uint8), [1, 2, 10])
    with pytest.raises(ValueError, match="labels"):
        cifar10.read_batch(tmp_path / "labels")


class _Malicious:
    """Unpickling this would run a shell command that creates a file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_foreign_pickled_object_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    with open(tmp_path / "evil", "wb") as f:
        pickle.dump({b"data": _Malicious(marker), b"labels": [0]}, f, protocol=2)
    # The plain unpickler would run it: the file is a real exploit.
    assert b"system" in (tmp_path / "evil").read_bytes()
    with pytest.raises(ValueError, match="refusing to load the global"):
        cifar10.read_batch(tmp_path / "evil")
    assert not marker.exists()


class _FakeResponse(io.BytesIO):
    def __init__(self, payload):
        super().__init__(payload)
        self.headers = {"Content-Length": str(len(payload))}


def test_download_with_injected_opener(tmp_path, monkeypatch):
    payload = b"pretend archive"
    opened = []

    def fake_urlopen(url):
        opened.append(url)
        return _FakeResponse(payload)

    # Wrong checksum: nothing is kept, not even the temporary file.
    with pytest.raises(ValueError, match="MD5"):
        cifar10.download_cifar10(tmp_path, urlopen=fake_urlopen, progress=False)
    assert list(tmp_path.iterdir()) == [] and opened == [cifar10.URL]
    # Right checksum (patched to the fake payload's): atomically renamed into place.
    monkeypatch.setattr(cifar10, "ARCHIVE_MD5", hashlib.md5(payload).hexdigest())
    path = cifar10.download_cifar10(tmp_path, urlopen=fake_urlopen, progress=True)
    assert path.read_bytes() == payload and [p.name for p in tmp_path.iterdir()] == [cifar10.ARCHIVE_NAME]
    # Never overwrites.
    with pytest.raises(FileExistsError):
        cifar10.download_cifar10(tmp_path, urlopen=fake_urlopen)
    assert len(opened) == 2


def _archive(root, members):
    """A .tar.gz named like the CIFAR-10 archive holding ``members``: (name, bytes or None for a directory, type)."""
    import tarfile

    with tarfile.open(root / cifar10.ARCHIVE_NAME, "w:gz") as tar:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind == tarfile.SYMTYPE:
                info.linkname = data
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))


def _tree(path):
    return sorted((str(p.relative_to(path)), p.read_bytes() if p.is_file() else None) for p in path.rglob("*"))


@pytest.mark.parametrize(
    "member, kind, data",
    [
        ("../outside.txt", "file", b"x"),
        ("cifar-10-batches-py/../../outside.txt", "file", b"x"),
        ("cifar-10-batches-py/link", "symlink", "../../../etc/passwd"),
        ("cifar-10-batches-py/abs_link", "symlink", "/etc/passwd"),
    ],
)
def test_an_unsafe_archive_is_refused_naming_the_member_and_writes_nothing(tmp_path, member, kind, data):
    import tarfile

    root = tmp_path / "root"
    root.mkdir()
    (root / "notes.txt").write_text("mine")
    kind = tarfile.SYMTYPE if kind == "symlink" else tarfile.REGTYPE
    _archive(root, [("cifar-10-batches-py/test_batch", b"not a batch", tarfile.REGTYPE), (member, data, kind)])
    before = _tree(tmp_path)
    with pytest.raises(ValueError, match=f"unsafe member '{member}'"):
        cifar10.load_cifar10(root, verify=False)
    assert _tree(tmp_path) == before  # nothing written, inside root or next to it


def test_an_absolute_member_lands_inside_the_temporary_folder_and_is_discarded(tmp_path):
    import tarfile

    root = tmp_path / "root"
    root.mkdir()
    target = tmp_path / "absolute.txt"  # the member's absolute name
    _archive(root, [(str(target), b"x", tarfile.REGTYPE)])
    with pytest.raises(FileNotFoundError, match="no CIFAR-10 batches"):
        cifar10.load_cifar10(root, verify=False)
    assert not target.exists()
    assert sorted(p.name for p in root.iterdir()) == [cifar10.ARCHIVE_NAME]


def test_extraction_never_overwrites_a_file(tmp_path, rng):
    import tarfile

    src = tmp_path / "src"
    src.mkdir()
    _, data = _fake_folder(src, rng)
    root = tmp_path / "root"
    root.mkdir()
    (root / "notes.txt").write_text("mine")
    with tarfile.open(root / cifar10.ARCHIVE_NAME, "w:gz") as tar:
        tar.add(src / "cifar-10-batches-py", arcname="cifar-10-batches-py")
        info = tarfile.TarInfo("notes.txt")
        info.size = 6
        tar.addfile(info, io.BytesIO(b"theirs"))
    splits = cifar10.load_cifar10(root, n_val=0, verify=False)
    np.testing.assert_array_equal(splits.X_test, data["test_batch"][0])
    assert (root / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in root.iterdir()) == sorted(["notes.txt", cifar10.ARCHIVE_NAME, "cifar-10-batches-py"])
    # An incomplete folder of the same name is not replaced by the archive's copy.
    root2 = tmp_path / "root2"
    (root2 / "cifar-10-batches-py").mkdir(parents=True)
    (root2 / "cifar-10-batches-py" / "data_batch_1").write_bytes(b"mine")
    os.replace(root / cifar10.ARCHIVE_NAME, root2 / cifar10.ARCHIVE_NAME)
    with pytest.raises(FileExistsError, match="not overwriting"):
        cifar10.load_cifar10(root2, verify=False)
    assert (root2 / "cifar-10-batches-py" / "data_batch_1").read_bytes() == b"mine"
    assert sorted(p.name for p in root2.iterdir()) == sorted([cifar10.ARCHIVE_NAME, "cifar-10-batches-py"])


def test_a_corrupted_archive_is_named(tmp_path):
    (tmp_path / cifar10.ARCHIVE_NAME).write_bytes(b"\x1f\x8b\x08 this is not gzip data")
    with pytest.raises(ValueError, match=f"{cifar10.ARCHIVE_NAME}: not a readable .tar.gz archive"):
        cifar10.load_cifar10(tmp_path, verify=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == [cifar10.ARCHIVE_NAME]


def test_arguments_are_checked(tmp_path, rng):
    _fake_folder(tmp_path, rng)
    assert cifar10.load_cifar10(tmp_path, n_val=np.int64(3), verify=False).X_val.shape == (3, 3072)
    with pytest.raises(TypeError, match="^n_val must be an integer"):
        cifar10.load_cifar10(tmp_path, n_val=2.5, verify=False)
    with pytest.raises(TypeError, match="^verify must be True or False"):
        cifar10.load_cifar10(tmp_path, verify="no")
    with pytest.raises(TypeError, match="^root must be a str or os.PathLike"):
        cifar10.load_cifar10(3)
    with pytest.raises(ValueError, match="^chunk_size must be an integer >= 1"):
        cifar10.md5sum(tmp_path / "cifar-10-batches-py" / "test_batch", chunk_size=0)

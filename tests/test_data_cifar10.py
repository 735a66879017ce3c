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

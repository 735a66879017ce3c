"""Tests for nntheory.data.heteroscedastic: the shipped CSV, the loader's errors, the split."""

from importlib import resources

import numpy as np
import pytest

from nntheory.data import heteroscedastic as het


def test_shipped_csv_equals_generator_output():
    shipped = resources.files("nntheory.data").joinpath("x_y.csv").read_bytes()
    assert shipped == het.regenerate_csv_text().encode("utf-8")


def test_shipped_data_shape_and_noise_growth():
    x, y = het.load_x_y()
    assert x.shape == y.shape == (1000,)
    assert np.all(np.isfinite(x)) and np.all(np.isfinite(y))
    # Residual spread around the true mean grows with x (the point of the data set).
    r = y - het.true_mean(x)
    assert np.std(r[x > 7]) > 3 * np.std(r[x < 3])


def test_generator_draws_from_the_stated_model(rng):
    # Monte Carlo check of the conditional law: standardised residuals are N(0, 1).
    x, y = het.make_heteroscedastic(200_000, rng)
    z = (y - het.true_mean(x)) / het.true_std(x)
    assert abs(z.mean()) < 5 / np.sqrt(z.size)
    assert abs(z.var() - 1) < 5 * np.sqrt(2 / z.size)
    assert x.min() >= 0 and x.max() <= 10


def test_roundtrip_through_a_file(tmp_path, rng):
    x, y = het.make_heteroscedastic(50, rng)
    path = tmp_path / "d.csv"
    path.write_text(het.to_csv_text(x, y))
    x2, y2 = het.load_xy_csv(path, n_expected=50)
    np.testing.assert_allclose(x2, x, atol=5e-7)
    np.testing.assert_allclose(y2, y, atol=5e-7)


def test_extra_columns_and_order_are_accepted(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("id,y,x\n1,2.0,3.0\n2,4.0,5.0\n")
    x, y = het.load_xy_csv(path)
    np.testing.assert_array_equal(x, [3.0, 5.0])
    np.testing.assert_array_equal(y, [2.0, 4.0])


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "empty"),
        ("x,y\n", "no data rows"),
        ("x,z\n1,2\n", "missing column 'y'"),
        ("x,y\n1,2\n3,abc\n", r"line 3: column 'y' holds 'abc', not a number"),
        ("x,y\n1,2\nnan,4\n", r"line 3: column 'x' holds 'nan', not a finite number"),
        ("x,y\n1,2\n3\n", "line 3: expected 2 fields"),
    ],
)
def test_malformed_files_raise_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message) as info:
        het.load_xy_csv(path)
    assert "bad.csv" in str(info.value)


def test_wrong_size_is_reported(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("x,y\n1,2\n")
    with pytest.raises(ValueError, match="expected 1000 data rows, got 1"):
        het.load_xy_csv(path, n_expected=1000)


def test_split_is_seeded_disjoint_and_66_33(rng):
    x, y = het.load_x_y()
    a = het.train_test_split(x, y, rng=np.random.default_rng(0))
    b = het.train_test_split(x, y, rng=np.random.default_rng(0))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    x_tr, x_te, y_tr, y_te = a
    assert len(x_te) == 333 and len(x_tr) == 667
    # Disjoint and complete: the pairs of the two parts are those of the file.
    pairs = sorted(zip(np.r_[x_tr, x_te], np.r_[y_tr, y_te]))
    assert pairs == sorted(zip(x, y))


def test_bad_arguments(rng):
    with pytest.raises(TypeError, match="rng"):
        het.train_test_split([1, 2, 3], [1, 2, 3], rng=0)
    with pytest.raises(ValueError, match="test_fraction"):
        het.train_test_split([1, 2, 3], [1, 2, 3], test_fraction=1.5, rng=rng)
    with pytest.raises(ValueError, match="same number of samples"):
        het.train_test_split([1, 2, 3], [1, 2], rng=rng)
    with pytest.raises(ValueError, match="n_samples"):
        het.make_heteroscedastic(0, rng)
    with pytest.raises(TypeError, match="path"):
        het.load_xy_csv(3)


def test_a_byte_order_mark_is_skipped(tmp_path):
    # Spreadsheet programs save "CSV UTF-8" with a BOM; the header is then still x,y.
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffx,y\n1.5,2.5\n".encode("utf-8"))
    x, y = het.load_xy_csv(path)
    np.testing.assert_array_equal(x, [1.5])
    np.testing.assert_array_equal(y, [2.5])


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", b"x,y\n1,\x002\n"])
def test_a_binary_file_is_named(tmp_path, content):
    path = tmp_path / "picture.png"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="picture.png: .*(UTF-8|binary)"):
        het.load_xy_csv(path)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_writer_refuses_what_the_reader_refuses(tmp_path, bad):
    x, y = np.array([1.0, 2.0]), np.array([3.0, bad])
    with pytest.raises(ValueError, match="^y must be finite"):
        het.to_csv_text(x, y)
    with pytest.raises(ValueError, match="^x must not be empty"):
        het.to_csv_text(np.array([]), np.array([]))
    # and what it writes, the reader reads back
    path = tmp_path / "ok.csv"
    path.write_text(het.to_csv_text(x, np.array([3.0, -1e6])))
    np.testing.assert_array_equal(het.load_xy_csv(path, n_expected=2)[1], [3.0, -1e6])


def test_numbers_and_counts_are_checked(rng):
    x, _ = het.make_heteroscedastic(np.int64(4), rng)  # numpy integers are integers
    assert x.shape == (4,)
    with pytest.raises(TypeError, match="^n_samples must be an integer"):
        het.make_heteroscedastic(2.5, rng)
    with pytest.raises(TypeError, match="^n_expected must be an integer"):
        het.load_xy_csv("x_y.csv", n_expected=2.5)
    with pytest.raises(ValueError, match="^test_fraction must be"):
        het.train_test_split(np.arange(4), np.arange(4), test_fraction=float("nan"), rng=rng)
    with pytest.raises(ValueError, match="^x must be > -2/3"):
        het.true_std(np.array([-1.0]))
    with pytest.raises(ValueError, match="^x must be finite"):
        het.true_mean(np.array([np.nan]))

"""The page seed override: default without the variable, the variable when set, clear errors."""

import numpy as np
import pytest

from nntheory.seeding import ENV_VAR, base_seed


def test_default_when_unset(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert base_seed(413) == 413
    assert base_seed(np.int64(7)) == 7


def test_override(monkeypatch):
    monkeypatch.setenv(ENV_VAR, " 12 ")
    assert base_seed(413) == 12
    monkeypatch.setenv(ENV_VAR, "")
    assert base_seed(413) == 413


@pytest.mark.parametrize("raw", ["abc", "-3", "1.5"])
def test_bad_variable(monkeypatch, raw):
    monkeypatch.setenv(ENV_VAR, raw)
    with pytest.raises(ValueError, match=ENV_VAR):
        base_seed(0)


@pytest.mark.parametrize("bad, exc", [(1.5, TypeError), ("3", TypeError), (True, TypeError), (-1, ValueError)])
def test_bad_default(monkeypatch, bad, exc):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(exc, match="default"):
        base_seed(bad)

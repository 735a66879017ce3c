"""The base seed of a gallery page, overridable for reruns under other seeds.

Every gallery page draws all of its randomness from one base seed. By default
that is the seed written on the page, so the site is reproducible; setting
the environment variable ``NNTHEORY_SEED`` replaces it, so that the same page
can be rerun under other seeds to check that its claims do not hinge on one
lucky draw (``tools/rerun_examples.py`` does that for every page)::

    SEED = base_seed(413)                     # 413 unless NNTHEORY_SEED is set
    rng = np.random.default_rng(SEED)
    gen = torch.Generator().manual_seed(SEED + 1)

This is the only place where the library reads the environment; it never
seeds a global generator.
"""

from __future__ import annotations

import os

__all__ = ["ENV_VAR", "base_seed"]

#: The environment variable that overrides every page's base seed.
ENV_VAR = "NNTHEORY_SEED"


def base_seed(default: int) -> int:
    """Return the page's base seed: ``default``, or ``NNTHEORY_SEED`` when it is set.

    Parameters
    ----------
    default : int
        The seed the page uses when no override is given (non-negative).

    Returns
    -------
    int
        A non-negative integer seed for ``numpy.random.default_rng`` or
        ``torch.Generator.manual_seed``.

    Raises
    ------
    TypeError
        If ``default`` is not an integer.
    ValueError
        If ``default`` is negative, or ``NNTHEORY_SEED`` is set to something
        other than a non-negative integer.
    """
    from nntheory import _checks

    default = _checks.check_int(default, "default", low=0)
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return default
    try:
        seed = int(raw)
    except ValueError:
        raise ValueError(f"{ENV_VAR} must be a non-negative integer, got {raw!r}") from None
    if seed < 0:
        raise ValueError(f"{ENV_VAR} must be a non-negative integer, got {raw!r}")
    return seed

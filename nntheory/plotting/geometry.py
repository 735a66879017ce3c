"""Rectangles and the segment tests that the layout checks use."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Rect"]


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle ``[x0, x1] × [y0, y1]`` in points."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def overlaps(self, other: Rect) -> bool:
        """Whether the interiors of the two rectangles intersect."""
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1

    def contains(self, other: Rect) -> bool:
        """Whether ``other`` lies inside this rectangle (boundary included)."""
        return self.x0 <= other.x0 and other.x1 <= self.x1 and self.y0 <= other.y0 and other.y1 <= self.y1


def segment_meets_rect(a, b, r: Rect) -> bool:
    """Whether the closed segment a-b meets the closed rectangle r (Liang–Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    d = (b[0] - a[0], b[1] - a[1])
    for p, q in ((-d[0], a[0] - r.x0), (d[0], r.x1 - a[0]), (-d[1], a[1] - r.y0), (d[1], r.y1 - a[1])):
        if p == 0:
            if q < 0:
                return False
        elif p < 0:
            t0 = max(t0, q / p)
        else:
            t1 = min(t1, q / p)
    return t0 <= t1


def shrink(r: Rect, by: float) -> Rect:
    return Rect(r.x0 + by, r.y0 + by, r.x1 - by, r.y1 - by)


def collinear_overlap(a, b, c, d, tol: float) -> bool:
    """Whether segments a-b and c-d share a stretch longer than ``tol``."""
    u = np.subtract(b, a)
    length = math.hypot(*u)
    if length == 0:
        return False
    u = u / length
    dist = [abs(u[0] * (p[1] - a[1]) - u[1] * (p[0] - a[0])) for p in (c, d)]
    if max(dist) > tol:
        return False
    t = sorted(float(np.dot(np.subtract(p, a), u)) for p in (c, d))
    return min(length, t[1]) - max(0.0, t[0]) > tol


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



def _orient(a, b, c) -> float:
    """Twice the signed area of the triangle a, b, c (> 0 when c lies left of a -> b)."""
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _within(a, b, p) -> bool:
    """Whether p, collinear with a-b, lies inside its bounding box."""
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def segments_meet(a, b, c, d) -> bool:
    """Whether the closed segments a-b and c-d have a point in common (crossing, touching or overlapping)."""
    o1, o2, o3, o4 = _orient(c, d, a), _orient(c, d, b), _orient(a, b, c), _orient(a, b, d)
    if o1 * o2 < 0 and o3 * o4 < 0:
        return True
    return (o1 == 0 and _within(c, d, a)) or (o2 == 0 and _within(c, d, b)) or (o3 == 0 and _within(a, b, c)) or (o4 == 0 and _within(a, b, d))


def point_segment_distance(p, a, b) -> float:
    """Euclidean distance from point p to the closed segment a-b."""
    u = np.subtract(b, a)
    w = np.subtract(p, a)
    t = 0.0 if not (u @ u) else min(1.0, max(0.0, float(w @ u) / float(u @ u)))
    return math.hypot(*(w - t * u))


def segment_distance(a, b, c, d) -> float:
    """Euclidean distance between the closed segments a-b and c-d (0 if they meet)."""
    if segments_meet(a, b, c, d):
        return 0.0
    # Two segments that do not meet are closest at an endpoint of one of them.
    return min(point_segment_distance(a, c, d), point_segment_distance(b, c, d), point_segment_distance(c, a, b), point_segment_distance(d, a, b))


def point_in_convex_polygon(p, poly) -> bool:
    """Whether p lies in the closed convex polygon ``poly`` (vertices in order, either orientation)."""
    signs = [_orient(poly[k], poly[(k + 1) % len(poly)], p) for k in range(len(poly))]
    return all(s >= 0 for s in signs) or all(s <= 0 for s in signs)


def _sides(poly):
    return [(poly[k], poly[(k + 1) % len(poly)]) for k in range(len(poly))]


def polygon_meets_rect(poly, r: Rect) -> bool:
    """Whether the closed convex polygon ``poly`` and the closed rectangle r meet."""
    corners = [(r.x0, r.y0), (r.x1, r.y0), (r.x1, r.y1), (r.x0, r.y1)]
    return any(segment_meets_rect(a, b, r) for a, b in _sides(poly)) or any(point_in_convex_polygon(c, poly) for c in corners)


def polygon_meets_segment(poly, a, b) -> bool:
    """Whether the closed convex polygon ``poly`` and the closed segment a-b meet."""
    return point_in_convex_polygon(a, poly) or any(segments_meet(a, b, c, d) for c, d in _sides(poly))


def polygons_meet(p, q) -> bool:
    """Whether two closed convex polygons meet."""
    return any(segments_meet(a, b, c, d) for a, b in _sides(p) for c, d in _sides(q)) or point_in_convex_polygon(p[0], q) or point_in_convex_polygon(q[0], p)

"""Text labels pushed apart until none overlaps another (the topic map's labels)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.text import Text
from matplotlib.transforms import Bbox


def extents(texts: Sequence[Text], pad: float = 2.0) -> np.ndarray:
    """``(n, 4)`` display-space boxes ``x0, y0, x1, y1`` of ``texts``, padded by ``pad`` px."""
    if not texts:
        return np.zeros((0, 4))
    renderer = texts[0].figure.canvas.get_renderer()
    boxes = []
    for text in texts:
        patch = text.get_bbox_patch()
        box = (patch.get_window_extent(renderer) if patch is not None
               else text.get_window_extent(renderer))
        boxes.append([box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad])
    return np.asarray(boxes, dtype=float)


def overlapping(boxes: np.ndarray) -> list[tuple[int, int]]:
    """Pairs ``(i, j)``, ``i < j``, of boxes that overlap."""
    b = np.asarray(boxes, dtype=float).reshape(-1, 4)
    hit = ((b[:, None, 0] < b[None, :, 2]) & (b[None, :, 0] < b[:, None, 2])
           & (b[:, None, 1] < b[None, :, 3]) & (b[None, :, 1] < b[:, None, 3]))
    i, j = np.nonzero(np.triu(hit, k=1))
    return [(int(a), int(c)) for a, c in zip(i, j, strict=True)]


def repel(ax: Axes, texts: Sequence[Text], *, gap: float = 4.0, iterations: int = 400,
          leader: bool = True) -> int:
    """Move ``texts`` (placed in data coordinates) apart until no two are closer than ``gap``.

    Each pair closer than ``gap`` is pushed apart along the axis where it overlaps less, and
    labels are kept inside the axes. Deterministic: no random jitter, a fixed order.

    Parameters
    ----------
    ax
        The axes the texts belong to (drawn once first, so sizes are known).
    texts
        Text artists in data coordinates.
    gap
        Least space between two labels' boxes, in points (labels that merely touch read as
        one crowded block).
    iterations
        Upper bound of passes.
    leader
        Draw a thin line from a label to where it was anchored when it moved away.

    Returns
    -------
    int
        Pairs left closer than ``gap`` (0 unless the axes is too small for all labels).
    """
    if len(texts) < 2:
        return 0
    fig = ax.figure
    ax.set_xlim(ax.get_xlim())  # frozen: leader lines must not rescale the axes
    ax.set_ylim(ax.get_ylim())
    fig.canvas.draw()
    anchors = np.array([ax.transData.transform(t.get_position()) for t in texts])
    boxes = extents(texts, pad=gap / 2 * fig.dpi / 72)
    frame = ax.get_window_extent()
    centres = anchors.copy()
    offsets = centres - (boxes[:, :2] + boxes[:, 2:]) / 2  # text anchor vs box centre
    half = (boxes[:, 2:] - boxes[:, :2]) / 2
    mid = (boxes[:, :2] + boxes[:, 2:]) / 2
    for _ in range(iterations):
        moved = False
        for i, j in overlapping(np.hstack([mid - half, mid + half])):
            d = mid[j] - mid[i]
            over = half[i] + half[j] - np.abs(d)
            axis = int(over[1] <= over[0])  # 1: separate vertically (labels are wide)
            sign = 1.0 if d[axis] > 0 or (d[axis] == 0 and i < j) else -1.0
            step = over[axis] / 2 + 0.5
            mid[i, axis] -= sign * step
            mid[j, axis] += sign * step
            moved = True
        lo = np.array([frame.x0, frame.y0]) + half
        hi = np.array([frame.x1, frame.y1]) - half
        mid = np.clip(mid, lo, np.maximum(lo, hi))
        if not moved:
            break
    inverse = ax.transData.inverted()
    for k, text in enumerate(texts):
        position = mid[k] + offsets[k]
        text.set_position(tuple(inverse.transform(position)))
        if leader and np.hypot(*(position - anchors[k])) > 6:
            start, end = inverse.transform(anchors[k]), inverse.transform(mid[k])
            ax.plot([start[0], end[0]], [start[1], end[1]], lw=0.4, color="#555555",
                    zorder=text.get_zorder() - 0.5)
    return len(overlapping(np.hstack([mid - half, mid + half])))


def window_boxes(texts: Sequence[Text]) -> list[Bbox]:
    """The drawn boxes of ``texts`` (for tests and checks of overlap)."""
    return [Bbox([[b[0], b[1]], [b[2], b[3]]]) for b in extents(texts, pad=0.0)]

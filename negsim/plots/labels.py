"""Where a map puts each place's name: away from its links, the markers of nearby places and
the labels already placed, then untangled on the laid-out figure. Positions are in data
units, label offsets in points; ``links`` are pairs of place indices.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes


def label_directions(
    pos: np.ndarray, links: list[tuple[int, int]], centre: np.ndarray | None, radii: np.ndarray
) -> np.ndarray:
    """Unit vectors along which to put each place's label: outwards from ``centre`` if
    given; otherwise into the widest free angle around the place, where its links, the
    markers of nearby places (``radii``, in data units) and the labels already placed block
    the directions they cover."""
    n = pos.shape[0]
    if centre is not None or n < 2:
        out = pos - (np.zeros(2) if centre is None else centre)
        norm = np.hypot(out[:, 0], out[:, 1])[:, None]
        return np.where(norm > 1e-9, out / np.maximum(norm, 1e-12), [0.0, 1.0])
    diff = pos[None, :, :] - pos[:, None, :]  # diff[k, j] points from k to j
    dist = np.hypot(diff[..., 0], diff[..., 1])
    np.fill_diagonal(dist, np.inf)
    reach = 4.0 * np.median(radii)  # how far a label extends, roughly
    link_width = np.radians(12.0)
    directions = np.zeros((n, 2))
    placed: list[np.ndarray] = []  # centres of the labels placed so far
    for k in range(n):
        blocked = []  # (angle, half-width) of what surrounds place k
        for centre_j in placed:
            away = centre_j - pos[k]
            gap = float(np.hypot(*away))
            if gap < radii[k] + 2.0 * reach:
                half = np.arcsin(min(1.0, 0.6 * reach / max(gap, 1e-12)))
                blocked.append((float(np.arctan2(away[1], away[0])), float(half)))
        linked = {j for i, j in links if i == k} | {i for i, j in links if j == k}
        for j in range(n):
            if j == k:
                continue
            angle = float(np.arctan2(diff[k, j, 1], diff[k, j, 0]))
            if j in linked:
                blocked.append((angle, link_width))
            if dist[k, j] - radii[j] < radii[k] + reach:
                ratio = min(1.0, (radii[j] + 0.5 * reach) / dist[k, j])
                blocked.append((angle, max(float(np.arcsin(ratio)), link_width)))
        directions[k] = _widest_free_angle(blocked)
        placed.append(pos[k] + directions[k] * (radii[k] + 0.5 * reach))
    return directions


def _widest_free_angle(blocked: list[tuple[float, float]]) -> np.ndarray:
    """The unit vector in the middle of the widest angle not covered by the intervals
    (centre, half-width); if they cover the circle, the middle of the widest gap between
    their centres."""
    if not blocked:
        return np.array([0.0, 1.0])
    grid = np.linspace(-np.pi, np.pi, 360, endpoint=False)
    free = np.ones(grid.size, dtype=bool)
    for angle, half in blocked:
        free &= np.abs(np.angle(np.exp(1j * (grid - angle)))) > half
    if free.any():
        first = int(np.argmin(free))  # a blocked direction (or 0): runs do not wrap after it
        rolled = np.concatenate([[0], np.roll(free, -first).astype(int), [0]])
        starts, ends = np.flatnonzero(np.diff(rolled) == 1), np.flatnonzero(np.diff(rolled) == -1)
        longest = int(np.argmax(ends - starts))
        middle = grid[(first + (starts[longest] + ends[longest]) // 2) % grid.size]
    else:
        angles = np.sort([a for a, _ in blocked])
        gaps = np.diff(np.append(angles, angles[0] + 2 * np.pi))
        widest = int(np.argmax(gaps))
        middle = angles[widest] + gaps[widest] / 2
    return np.array([np.cos(middle), np.sin(middle)])


def aim_label(text: Any, direction: np.ndarray, radius: float) -> None:
    """Put an annotation ``radius`` points from its place along ``direction``, aligned so
    that it extends away from the place."""
    text.xyann = (float(direction[0] * radius), float(direction[1] * radius))
    text.set_horizontalalignment(
        "left" if direction[0] > 0.35 else "right" if direction[0] < -0.35 else "center"
    )
    text.set_verticalalignment(
        "bottom" if direction[1] > 0.35 else "top" if direction[1] < -0.35 else "center"
    )


def untangle_labels(
    ax: Axes,
    labels: list[Any],
    obstacles: list[Any],
    pos: np.ndarray,
    radii: np.ndarray,
    preferred: np.ndarray,
    reaches: tuple[float, ...] = (1.0,),
    strict: bool = False,
) -> None:
    """Move place labels that overlap other labels, markers or link labels to the free
    direction (of 16) and distance (``reaches`` × ``radii``) that overlaps least, preferring
    the direction first chosen and the nearest distance (``strict``: any overlap costs more
    than any turn or distance, so labels touch only when no free place is left). Measured
    on the figure as it is laid out now (close to, not exactly, the final layout)."""
    if not labels or len(labels) > 40:
        return
    root = ax.figure.figure  # the top-level Figure, also for axes in a SubFigure
    engine = root.get_layout_engine()
    if engine is not None:  # lay the figure out as it will be drawn (constrained layout)
        title = ax.get_title()
        ax.set_title(title or "a title, as plot_regions will set")  # it takes room
        engine.execute(root)
        ax.set_title(title)
    renderer = root._get_renderer()  # any canvas, also a bare Figure's
    ax.apply_aspect()
    to_px = root.dpi / 72.0
    centres = ax.transData.transform(pos)
    half = 0.8 * radii * to_px  # marker "boxes" a little inside the circles
    markers = np.column_stack([centres - half[:, None], centres + half[:, None]])
    frame = ax.get_window_extent(renderer)
    fixed = np.array([list(t.get_window_extent(renderer).extents) for t in obstacles])
    fixed = fixed.reshape(-1, 4)
    angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    candidates = np.column_stack([np.cos(angles), np.sin(angles)])

    def overlap(box: np.ndarray, others: np.ndarray) -> float:
        if others.size == 0:
            return 0.0
        w = np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0])
        h = np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1])
        return float(np.sum(np.clip(w, 0, None) * np.clip(h, 0, None)))

    boxes = np.array([list(t.get_window_extent(renderer).extents) for t in labels])
    for _ in range(2):
        for k, text in enumerate(labels):
            others = np.vstack([np.delete(boxes, k, axis=0), np.delete(markers, k, axis=0), fixed])
            best, best_score = None, np.inf
            for reach in reaches:
                for direction in np.vstack([preferred[k], candidates]):
                    aim_label(text, direction, reach * radii[k])
                    box = np.array(text.get_window_extent(renderer).extents)
                    outside = (box[2] - box[0]) * (box[3] - box[1]) - overlap(
                        box, np.array([frame.extents])
                    )
                    turn = 1.0 - float(direction @ preferred[k])
                    weight = 1e4 if strict else 1.0
                    score = weight * (overlap(box, others) + 20.0 * outside) + 40.0 * turn
                    score += 40.0 * (reach - 1.0)
                    if score < best_score - 1e-9:
                        best, best_score = (direction, reach, box), score
            assert best is not None
            aim_label(text, best[0], best[1] * radii[k])
            boxes[k] = best[2]

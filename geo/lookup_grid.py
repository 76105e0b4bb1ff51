"""A fine lookup grid over a set of non-overlapping regions: point-in-polygon in O(1).

Every grid cell is classified once, at build time:

- *pure*: no region boundary passes through the cell, so every point in it lies in the same
  region as the cell centre (or in none). The answer is one array read.
- *boundary*: some boundary passes through it. The cell keeps a short candidate list (the
  regions whose boundary crosses it, ascending), and a point there is settled by an exact
  prepared-geometry test, taking the first (lowest-id) region that contains or touches it.

Cell centres are labelled by an even-odd scanline fill over all region edges at once, and
boundary cells by sampling every edge at half a cell's spacing (plus the cells a diagonal step
could clip and the cells a sample sits on the edge of), so the classification is conservative:
a cell is only ever called pure when it truly is. Cells where regions overlap (invalid data)
become boundary cells too, so overlaps still get the exact test and the lowest-id rule.

The grid is built with numpy only (no per-cell Python loop): ~1 s for Leshan's 3,600 village
polygons on a 0.0005° (≈50 m) grid.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

__all__ = ["LookupGrid"]

IntArray = npt.NDArray[np.int64]
_EDGE_EPS = 1e-7  # fraction of a cell: samples this close to a cell edge mark both sides


@dataclass(frozen=True, slots=True)
class _Segments:
    ax: npt.NDArray[np.float64]
    ay: npt.NDArray[np.float64]
    bx: npt.NDArray[np.float64]
    by: npt.NDArray[np.float64]
    region: IntArray


def _segments(geoms: Sequence[BaseGeometry]) -> _Segments:
    polys = shapely.get_parts(np.asarray(geoms, dtype=object), return_index=True)
    rings, ring_poly = shapely.get_rings(polys[0], return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    same = coord_ring[:-1] == coord_ring[1:]
    region = polys[1][ring_poly][coord_ring[:-1][same]]
    return _Segments(
        coords[:-1, 0][same],
        coords[:-1, 1][same],
        coords[1:, 0][same],
        coords[1:, 1][same],
        region.astype(np.int64),
    )


class LookupGrid:
    """Point → region id over non-overlapping regions, exact, with a fast grid path.

    Parameters
    ----------
    geoms
        Region geometries; a region's id is its position. On a shared border the lowest id
        wins, so callers order regions by priority.
    extent
        ``(minx, miny, maxx, maxy)`` covered by the grid; points outside get ``-2``
        ("not covered", callers fall back to another method).
    cell
        Cell side in degrees.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = LookupGrid([box(0, 0, 1, 1), box(1, 0, 2, 1)], (0, 0, 2, 1), 0.1)
    >>> g.lookup(0.5, 0.5), g.lookup(1.0, 0.5), g.lookup(1.5, 0.5), g.lookup(3.0, 0.5)
    (0, 0, 1, -2)
    """

    NONE = -1
    NOT_COVERED = -2

    def __init__(
        self,
        geoms: Sequence[BaseGeometry],
        extent: tuple[float, float, float, float],
        cell: float,
    ) -> None:
        minx, miny, maxx, maxy = extent
        self.minx, self.miny, self.cell = float(minx), float(miny), float(cell)
        self.nx = max(1, math.ceil((maxx - minx) / cell))
        self.ny = max(1, math.ceil((maxy - miny) / cell))
        clip = box(minx, miny, minx + self.nx * cell, miny + self.ny * cell)
        clipped = [g if clip.contains(g) else shapely.intersection(g, clip) for g in geoms]
        self.geoms = np.asarray(clipped, dtype=object)
        shapely.prepare(self.geoms)
        seg = _segments(clipped)
        label, count = self._fill(seg)
        cells, cand = self._boundary_pairs(seg)
        # Overlap cells (count > 1) and the centre label join the candidates.
        flat_label = label.ravel()
        centre = flat_label[cells]
        extra_cells = np.flatnonzero(count.ravel() > 1)
        cells = np.concatenate([cells, cells[centre >= 0], extra_cells])
        cand = np.concatenate([cand, centre[centre >= 0], np.full(extra_cells.size, -1)])
        if extra_cells.size:
            cells, cand = self._resolve_overlaps(cells, cand)
        key = np.unique(cells * (len(clipped) + 1) + cand)
        cells = key // (len(clipped) + 1)
        cand = key % (len(clipped) + 1)
        bcells, start = np.unique(cells, return_index=True)
        self.ptr = np.append(start, cells.size).astype(np.int64)
        self.cand = cand.astype(np.int64)
        grid = flat_label.astype(np.int32)
        grid[bcells] = -2 - np.arange(bcells.size, dtype=np.int32)
        # Encoding: v >= 0 region id, -1 no region, v <= -2 boundary cell number (-v - 2).
        self.grid = grid.reshape(self.ny, self.nx)
        self.boundary_cells = int(bcells.size)
        self._ptr_list: list[int] = self.ptr.tolist()
        self._cand_list: list[int] = self.cand.tolist()
        self._grid_flat = grid

    def _fill(self, seg: _Segments) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int16]]:
        """Even-odd scanline fill at row centres; returns (label or -1, coverage count)."""
        nx, ny, cell = self.nx, self.ny, self.cell
        lo = np.minimum(seg.ay, seg.by)
        hi = np.maximum(seg.ay, seg.by)
        r0 = np.clip(np.ceil((lo - self.miny) / cell - 0.5), 0, ny).astype(np.int64)
        r1 = np.clip(np.ceil((hi - self.miny) / cell - 0.5), 0, ny).astype(np.int64)
        n = r1 - r0
        keep = n > 0
        n = n[keep]
        idx = np.repeat(np.flatnonzero(keep), n)
        first = np.repeat(np.cumsum(n) - n, n)
        rows = np.repeat(r0[keep], n) + (np.arange(idx.size) - first)
        yc = self.miny + (rows + 0.5) * cell
        ax, ay, bx, by = seg.ax[idx], seg.ay[idx], seg.bx[idx], seg.by[idx]
        x = ax + (yc - ay) * (bx - ax) / (by - ay)
        region = seg.region[idx]
        order = np.lexsort((x, rows, region))
        x, rows, region = x[order], rows[order], region[order]
        col = np.clip(np.ceil((x - self.minx) / cell - 0.5), 0, nx).astype(np.int64)
        c_start, c_end = col[0::2], col[1::2]
        row, reg = rows[0::2], region[0::2]
        span = c_end > c_start
        row, reg, c_start, c_end = row[span], reg[span], c_start[span], c_end[span]
        width = nx + 1
        lab = np.zeros(ny * width, dtype=np.int64)
        cnt = np.zeros(ny * width, dtype=np.int32)
        np.add.at(lab, row * width + c_start, reg + 1)
        np.add.at(lab, row * width + c_end, -(reg + 1))
        np.add.at(cnt, row * width + c_start, 1)
        np.add.at(cnt, row * width + c_end, -1)
        lab2 = np.cumsum(lab.reshape(ny, width), axis=1)[:, :nx]
        cnt2 = np.cumsum(cnt.reshape(ny, width), axis=1)[:, :nx]
        label = np.where(cnt2 == 1, lab2 - 1, -1).astype(np.int32)
        return label, cnt2.astype(np.int16)

    def _boundary_pairs(self, seg: _Segments) -> tuple[IntArray, IntArray]:
        """(flat cell, region) for every cell a region edge passes through (conservative)."""
        cell, nx, ny = self.cell, self.nx, self.ny
        span = np.maximum(np.abs(seg.bx - seg.ax), np.abs(seg.by - seg.ay)) / cell
        n = np.ceil(span * 2.0).astype(np.int64) + 1  # spacing ≤ half a cell
        idx = np.repeat(np.arange(n.size), n)
        first = np.repeat(np.cumsum(n) - n, n)
        k = np.arange(idx.size) - first
        t = k / np.maximum(n[idx] - 1, 1)
        fx = (seg.ax[idx] + t * (seg.bx[idx] - seg.ax[idx]) - self.minx) / cell
        fy = (seg.ay[idx] + t * (seg.by[idx] - seg.ay[idx]) - self.miny) / cell
        col = np.floor(fx).astype(np.int64)
        row = np.floor(fy).astype(np.int64)
        region = seg.region[idx]
        cols = [col]
        rows = [row]
        regs = [region]
        # A step between diagonal cells may clip either of the two other cells.
        nxt = k[1:] > 0
        diag = nxt & (col[1:] != col[:-1]) & (row[1:] != row[:-1])
        d = np.flatnonzero(diag)
        cols += [col[d], col[d + 1]]
        rows += [row[d + 1], row[d]]
        regs += [region[d], region[d]]
        # A sample on a cell edge touches the cell on the other side too.
        dc = np.where(fx - col < _EDGE_EPS, -1, np.where(col + 1 - fx < _EDGE_EPS, 1, 0))
        dr = np.where(fy - row < _EDGE_EPS, -1, np.where(row + 1 - fy < _EDGE_EPS, 1, 0))
        on_c, on_r = dc != 0, dr != 0
        both = on_c & on_r
        cols += [(col + dc)[on_c], col[on_r], (col + dc)[both]]
        rows += [row[on_c], (row + dr)[on_r], (row + dr)[both]]
        regs += [region[on_c], region[on_r], region[both]]
        c = np.concatenate(cols)
        r = np.concatenate(rows)
        g = np.concatenate(regs)
        ok = (c >= 0) & (c < nx) & (r >= 0) & (r < ny)
        return r[ok] * nx + c[ok], g[ok]

    def _resolve_overlaps(self, cells: IntArray, cand: IntArray) -> tuple[IntArray, IntArray]:
        """Replace placeholder candidates of overlap cells by the regions meeting the cell."""
        placeholder = cand < 0
        where = np.unique(cells[placeholder])
        cells, cand = cells[~placeholder], cand[~placeholder]
        r, c = np.divmod(where, self.nx)
        boxes = shapely.box(
            self.minx + c * self.cell,
            self.miny + r * self.cell,
            self.minx + (c + 1) * self.cell,
            self.miny + (r + 1) * self.cell,
        )
        tree = shapely.STRtree(self.geoms)
        qi, gi = tree.query(boxes, predicate="intersects")
        return np.concatenate([cells, where[qi]]), np.concatenate([cand, gi])

    def lookup(self, x: float, y: float) -> int:
        """Region id at one point: ``>= 0`` region, ``-1`` none, ``-2`` outside the grid.

        Examples
        --------
        >>> from shapely.geometry import box
        >>> LookupGrid([box(0, 0, 1, 1)], (0, 0, 1, 1), 0.25).lookup(0.5, 0.5)
        0
        """
        fx = (x - self.minx) / self.cell
        fy = (y - self.miny) / self.cell
        if not (0.0 <= fx < self.nx and 0.0 <= fy < self.ny):
            return self.NOT_COVERED
        v: int = self._grid_flat.item(int(fy) * self.nx + int(fx))
        if v >= -1:
            return v
        b = -v - 2
        geoms = self.geoms
        cand = self._cand_list
        for k in range(self._ptr_list[b], self._ptr_list[b + 1]):
            rid = cand[k]
            if shapely.intersects_xy(geoms[rid], x, y):
                return rid
        return self.NONE

    def lookup_many(
        self, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.int32]:
        """Vectorised :meth:`lookup`.

        Examples
        --------
        >>> from shapely.geometry import box
        >>> g = LookupGrid([box(0, 0, 1, 1), box(1, 0, 2, 1)], (0, 0, 2, 1), 0.1)
        >>> g.lookup_many(np.array([0.5, 1.0, 1.5, 9.0]), np.array([0.5, 0.5, 0.5, 0.5]))
        array([ 0,  0,  1, -2], dtype=int32)
        """
        fx = (x - self.minx) * (1.0 / self.cell)
        fy = (y - self.miny) * (1.0 / self.cell)
        covered = (fx >= 0.0) & (fx < self.nx) & (fy >= 0.0) & (fy < self.ny)
        flat = fy.astype(np.int64) * self.nx + fx.astype(np.int64)
        flat[~covered] = 0
        out = self._grid_flat[flat]
        out[~covered] = self.NOT_COVERED
        bidx = np.flatnonzero(out <= -2)
        bidx = bidx[covered[bidx]]
        if bidx.size:
            b = -out[bidx].astype(np.int64) - 2
            start = self.ptr[b]
            n = self.ptr[b + 1] - start
            pt = np.repeat(bidx, n)
            first = np.repeat(np.cumsum(n) - n, n)
            k = np.repeat(start, n) + (np.arange(pt.size) - first)
            cand = self.cand[k]
            hit = shapely.intersects_xy(self.geoms[cand], x[pt], y[pt])
            pt, cand = pt[hit], cand[hit]
            out[bidx] = self.NONE
            # Candidates are ascending per point, so the first hit is the lowest id.
            firsts = np.ones(pt.size, dtype=bool)
            firsts[1:] = pt[1:] != pt[:-1]
            out[pt[firsts]] = cand[firsts]
        return out

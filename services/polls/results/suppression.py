"""Small-cell suppression of published counts, so that no count under ``k`` can be read or
worked out from what is published beside it.

One dimension (turnout by municipality, age band, hour): cells under ``k`` are hidden, and if
exactly one is hidden, the smallest other one too, so the total minus the visible cells does
not give it away.

Two dimensions (answers by municipality, by age band): the table's row totals (turnout per
group) and column totals (the official results per answer) are public too, so each hidden cell
must survive subtraction along its row and its column, and along any chain of them. The rule:

1. *primary*: every cell under ``k`` (zero included) is hidden;
2. *complementary*, repeated until nothing changes:

   * a row or column with exactly one hidden cell hides its smallest visible cell;
   * a row or column whose hidden cells add up to 0 hides its smallest visible cell (else the
     total minus the visible cells shows that each hidden one is 0);
   * a hidden cell that is a *bridge* of the graph whose edges are the hidden cells (rows and
     columns its vertices) is recoverable exactly: adding up the row totals of one side of it
     and subtracting the column totals of that side leaves it alone. Each bridge is closed into
     a cycle of four hidden cells with the smallest other row and column.

Every hidden cell then lies on a cycle of hidden cells, and moving a cycle's cells by
``+t, -t, +t, ...`` keeps every row and column total: no combination of the published totals
and visible cells isolates a hidden cell. A table of one row or one column cannot hide anything
that way (its totals are its cells), so a hidden cell there hides the whole table.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

__all__ = ("hidden_cells", "suppress_counts")

Row = TypeVar("Row", bound=Hashable)
Col = TypeVar("Col", bound=Hashable)
Key = TypeVar("Key", bound=Hashable)


def suppress_counts(counts: Mapping[Key, int], k: int) -> set[Key]:
    """The keys of a one-dimensional table to hide (cells under ``k``, and one complement)."""
    hidden = {key for key, n in counts.items() if n < k}
    if len(hidden) == 1 and len(counts) > 1:
        hidden.add(min((n, str(key), key) for key, n in counts.items() if key not in hidden)[2])
    return hidden


def hidden_cells(
    rows: Sequence[Row],
    cols: Sequence[Col],
    counts: Mapping[tuple[Row, Col], int | None],
    k: int,
) -> set[tuple[Row, Col]]:
    """The cells of the ``rows`` × ``cols`` table to hide; a missing cell counts 0, a cell
    given as None is already hidden (its value unknown, e.g. suppressed at a smaller k)."""
    cells = [(r, c) for r in rows for c in cols]
    value = {cell: counts.get(cell, 0) for cell in cells}
    hidden = {cell for cell in cells if (n := value[cell]) is None or n < k}
    if not hidden:
        return hidden
    if len(rows) < 2 or len(cols) < 2:
        return set(cells)
    lines = [[(r, c) for c in cols] for r in rows] + [[(r, c) for r in rows] for c in cols]
    while True:
        added = _complete_lines(lines, value, hidden)
        if not added:
            added = _close_bridges(rows, cols, value, hidden)
        if not added:
            return hidden


def _size(value: int | None) -> int:
    return -1 if value is None else value


def _complete_lines(
    lines: list[list[tuple[Row, Col]]],
    value: Mapping[tuple[Row, Col], int | None],
    hidden: set[tuple[Row, Col]],
) -> bool:
    added = False
    for line in lines:
        in_line = [cell for cell in line if cell in hidden]
        if not in_line:
            continue
        known = [value[cell] for cell in in_line]
        zero_sum = all(n is not None for n in known) and sum(n or 0 for n in known) == 0
        if len(in_line) > 1 and not zero_sum:
            continue
        visible = [cell for cell in line if cell not in hidden]
        if visible:
            hidden.add(min(visible, key=lambda cell: (_size(value[cell]), line.index(cell))))
            added = True
    return added


def _close_bridges(
    rows: Sequence[Row],
    cols: Sequence[Col],
    value: Mapping[tuple[Row, Col], int | None],
    hidden: set[tuple[Row, Col]],
) -> bool:
    for r, c in sorted(
        _bridges(hidden), key=lambda cell: (rows.index(cell[0]), cols.index(cell[1]))
    ):
        if (r, c) not in hidden or (r, c) not in _bridges(hidden):
            continue  # an earlier closure already put it on a cycle
        best: tuple[int, tuple[Row, Col], tuple[Row, Col], tuple[Row, Col]] | None = None
        for other_r in rows:
            if other_r == r:
                continue
            for other_c in cols:
                if other_c == c:
                    continue
                square = ((r, other_c), (other_r, c), (other_r, other_c))
                cost = sum(max(_size(value[cell]), 0) for cell in square if cell not in hidden)
                if best is None or cost < best[0]:
                    best = (cost, *square)
        assert best is not None  # at least two rows and two columns
        hidden.update(best[1:])
        return True
    return False


def _bridges(hidden: set[tuple[Row, Col]]) -> set[tuple[Row, Col]]:
    """Edges of the row–column graph of hidden cells that lie on no cycle (Tarjan's lowlink,
    iterative so a large table cannot exhaust the stack)."""
    adjacency: dict[tuple[int, object], list[tuple[tuple[int, object], tuple[Row, Col]]]] = {}
    for r, c in hidden:
        a, b = (0, r), (1, c)
        adjacency.setdefault(a, []).append((b, (r, c)))
        adjacency.setdefault(b, []).append((a, (r, c)))
    order: dict[tuple[int, object], int] = {}
    low: dict[tuple[int, object], int] = {}
    found: set[tuple[Row, Col]] = set()
    for root in adjacency:
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack: list[tuple[tuple[int, object], tuple[Row, Col] | None, int]] = [(root, None, 0)]
        while stack:
            node, via, position = stack[-1]
            if position < len(adjacency[node]):
                stack[-1] = (node, via, position + 1)
                neighbour, edge = adjacency[node][position]
                if edge == via:
                    continue
                if neighbour in order:
                    low[node] = min(low[node], order[neighbour])
                else:
                    order[neighbour] = low[neighbour] = len(order)
                    stack.append((neighbour, edge, 0))
                continue
            stack.pop()
            if stack:
                parent = stack[-1][0]
                low[parent] = min(low[parent], low[node])
                if low[node] > order[parent] and via is not None:
                    found.add(via)
    return found

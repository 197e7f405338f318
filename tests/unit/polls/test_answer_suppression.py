"""Suppression of answers by group: nothing under k is published, and no hidden cell can be
worked out from the published row and column totals and the visible cells by subtraction."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from services.polls.results.suppression import hidden_cells, suppress_counts

K = 10

Cell = tuple[str, str]


def _rank(matrix: list[list[Fraction]]) -> int:
    rows = [row[:] for row in matrix]
    rank = 0
    width = len(rows[0]) if rows else 0
    for col in range(width):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][col] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][col] != 0:
                factor = rows[i][col] / rows[rank][col]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rank


def recoverable(rows: list[str], cols: list[str], hidden: set[Cell]) -> set[Cell]:
    """Hidden cells fixed by the row and column totals: those whose unit vector lies in the
    span of the totals' equations over the hidden cells (exact rational arithmetic)."""
    unknowns = sorted(hidden)
    index = {cell: i for i, cell in enumerate(unknowns)}
    equations = [
        [Fraction(1 if cell in line else 0) for cell in unknowns]
        for line in (
            [{(r, c) for c in cols} for r in rows] + [{(r, c) for r in rows} for c in cols]
        )
    ]
    equations = [e for e in equations if any(e)]
    base = _rank(equations) if equations else 0
    found = set()
    for cell in unknowns:
        unit = [Fraction(0)] * len(unknowns)
        unit[index[cell]] = Fraction(1)
        if _rank([*equations, unit]) == base:
            found.add(cell)
    return found


def check(rows: list[str], cols: list[str], counts: dict[Cell, int], k: int = K) -> set[Cell]:
    hidden = hidden_cells(rows, cols, counts, k)
    # Primary: nothing under k is shown.
    for r in rows:
        for c in cols:
            if counts.get((r, c), 0) < k:
                assert (r, c) in hidden
    # Complementary: nothing hidden is fixed by subtraction from the totals ...
    assert not recoverable(rows, cols, hidden)
    # ... and no line's hidden cells add up to 0, which would show each of them is 0 (unless
    # the whole line is 0: its published total says so already).
    for line in [[(r, c) for c in cols] for r in rows] + [[(r, c) for r in rows] for c in cols]:
        in_line = [cell for cell in line if cell in hidden]
        if in_line:
            assert len(in_line) >= 2
            line_total = sum(counts.get(cell, 0) or 0 for cell in line)
            assert sum(counts.get(cell, 0) or 0 for cell in in_line) > 0 or line_total == 0
    return hidden


def test_a_small_cell_alone_in_its_row_and_column_takes_complements_in_both() -> None:
    rows, cols = ["a", "b", "c"], ["yes", "no"]
    counts = {("a", "yes"): 30, ("a", "no"): 3, ("b", "yes"): 40, ("b", "no"): 25}
    counts |= {("c", "yes"): 50, ("c", "no"): 20}
    hidden = check(rows, cols, counts)
    assert ("a", "no") in hidden
    assert ("a", "yes") in hidden  # the row total would give it away
    assert len([c for c in hidden if c[1] == "no"]) >= 2  # so would the option's total


def test_a_bridge_between_two_hidden_blocks_is_closed_into_a_cycle() -> None:
    rows, cols = ["r1", "r2", "r3", "r4"], ["c1", "c2", "c3", "c4"]
    big = 50
    counts = {(r, c): big for r in rows for c in cols}
    # Two 2×2 blocks of small cells, joined only through r2–c3 (a bridge once hidden).
    for cell in [("r1", "c1"), ("r1", "c2"), ("r2", "c1"), ("r2", "c2")]:
        counts[cell] = 2
    for cell in [("r3", "c3"), ("r3", "c4"), ("r4", "c3"), ("r4", "c4")]:
        counts[cell] = 4
    counts["r2", "c3"] = 1
    check(rows, cols, counts)


def test_hidden_zeros_get_a_non_zero_complement() -> None:
    rows, cols = ["a", "b"], ["x", "y", "z"]
    counts = {("a", "x"): 40, ("a", "y"): 0, ("a", "z"): 0, ("b", "x"): 35}
    counts |= {("b", "y"): 20, ("b", "z"): 30}
    hidden = check(rows, cols, counts)
    assert ("a", "x") in hidden


def test_a_table_of_one_row_hides_everything_when_any_cell_is_small() -> None:
    assert hidden_cells(["a"], ["x", "y"], {("a", "x"): 3, ("a", "y"): 50}, K) == {
        ("a", "x"),
        ("a", "y"),
    }
    assert hidden_cells(["a"], ["x", "y"], {("a", "x"): 30, ("a", "y"): 50}, K) == set()


def test_cells_hidden_at_a_smaller_k_stay_hidden_at_a_larger_one() -> None:
    rows, cols = ["a", "b", "c"], ["x", "y"]
    counts: dict[Cell, int | None] = {("a", "x"): None, ("a", "y"): None, ("b", "x"): 12}
    counts |= {("b", "y"): 40, ("c", "x"): 30, ("c", "y"): 60}
    hidden = hidden_cells(rows, cols, counts, 15)
    assert {("a", "x"), ("a", "y"), ("b", "x")} <= hidden
    assert not recoverable(rows, cols, hidden)


@pytest.mark.parametrize("seed", range(60))
def test_random_tables_publish_nothing_recoverable(seed: int) -> None:
    rng = random.Random(seed)
    rows = [f"m{i}" for i in range(rng.randint(2, 7))]
    cols = [f"o{j}" for j in range(rng.randint(2, 5))]
    counts = {(r, c): rng.choice([0, 1, 3, 8, 9, 10, 12, 25, 60]) for r in rows for c in cols}
    check(rows, cols, counts)


def test_one_dimension_hides_a_complement_when_a_single_cell_is_small() -> None:
    assert suppress_counts({"a": 3, "b": 40, "c": 20}, K) == {"a", "c"}
    assert suppress_counts({"a": 3, "b": 4, "c": 20}, K) == {"a", "b"}
    assert suppress_counts({"a": 30}, K) == set()

"""Anonymity sets: which voters an observer cannot rule out as the caster of each ballot.

An attack turns what an observer saw into *constraints*: for each ballot, the voters it could
have come from. Every ballot has exactly one caster and every voter cast exactly one ballot,
so an assignment must be a perfect matching of ballots to voters that respects every
constraint; a voter is ruled out for a ballot when no such matching pairs them, which
:func:`refine` computes exactly (an edge is in some perfect matching iff it is matched or lies
on an alternating cycle, i.e. its ends share a strongly connected component).

The attacks are allowed to guess (a guess such as "the rows' physical order is the order of
arrival" is what makes them strong against a leaky design). Whether a guess is knowledge is
decided against the truth: :func:`score` reports a constraint that excludes a ballot's real
caster as refuted, and a refuted guess rules nobody out.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

__all__ = ("Constraint", "Score", "intersect", "refine", "score")

B = TypeVar("B", bound=Hashable)
V = TypeVar("V", bound=Hashable)

Constraint = dict[B, set[V]]
"""For each ballot, the voters it may have come from (a ballot not listed: anyone)."""


def intersect(
    ballots: Iterable[B], voters: Iterable[V], constraints: Iterable[Mapping[B, set[V]]]
) -> dict[B, set[V]]:
    everyone = set(voters)
    allowed = {b: set(everyone) for b in ballots}
    for constraint in constraints:
        for b, possible in constraint.items():
            if b in allowed:
                allowed[b] &= possible
    return allowed


def _perfect_matching(allowed: Mapping[B, set[V]]) -> dict[B, V] | None:
    """Kuhn's augmenting paths (iterative); None if some ballot cannot be matched."""
    owner: dict[V, B] = {}
    matched: dict[B, V] = {}
    for root in allowed:
        parent: dict[V, B] = {}
        stack: list[tuple[B, Iterable[V]]] = [(root, iter(allowed[root]))]
        seen: set[V] = set()
        free: V | None = None
        found = False
        while stack and not found:
            b, options = stack[-1]
            for v in options:
                if v in seen:
                    continue
                seen.add(v)
                parent[v] = b
                if v not in owner:
                    free, found = v, True
                    break
                stack.append((owner[v], iter(allowed[owner[v]])))
                break
            else:
                stack.pop()
        if not found or free is None:
            return None
        v = free
        while True:  # flip the augmenting path back to the root
            b = parent[v]
            previous = matched.get(b)
            matched[b] = v
            owner[v] = b
            if b == root or previous is None:
                break
            v = previous
    return matched


def _components(
    nodes: list[Hashable], edges: Mapping[Hashable, list[Hashable]]
) -> dict[Hashable, int]:
    """Strongly connected components (Tarjan, iterative): node → component number."""
    index: dict[Hashable, int] = {}
    low: dict[Hashable, int] = {}
    on_stack: set[Hashable] = set()
    stack: list[Hashable] = []
    component: dict[Hashable, int] = {}
    counter = components = 0
    for start in nodes:
        if start in index:
            continue
        work: list[tuple[Hashable, int]] = [(start, 0)]
        while work:
            node, i = work[-1]
            if i == 0 and node not in index:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = edges.get(node, [])
            if i < len(successors):
                work[-1] = (node, i + 1)
                nxt = successors[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = components
                    if member == node:
                        break
                components += 1
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return component


def refine(allowed: Mapping[B, set[V]]) -> dict[B, set[V]] | None:
    """Drop every (ballot, voter) pair that no complete assignment can use; None when the
    constraints admit no assignment at all (they contradict each other)."""
    matched = _perfect_matching(allowed)
    if matched is None:
        return None
    nodes: list[Hashable] = [("b", b) for b in allowed]
    edges: dict[Hashable, list[Hashable]] = {}
    for b, possible in allowed.items():
        edges[("b", b)] = [("v", v) for v in possible if v != matched[b]]
        edges[("v", matched[b])] = [("b", b)]
    nodes += [("v", v) for b in allowed for v in allowed[b]]
    component = _components(nodes, edges)
    return {
        b: {v for v in possible if v == matched[b] or component[("b", b)] == component[("v", v)]}
        for b, possible in allowed.items()
    }


@dataclass(frozen=True, slots=True)
class Score:
    name: str
    refuted: int
    """Ballots whose real caster the attack's guesses excluded (0: every guess held)."""
    smallest: int
    """The smallest anonymity set over all ballots (with refuted guesses dropped)."""


def score(
    name: str,
    ballots: list[B],
    voters: list[V],
    attacks: Mapping[str, Callable[[], Mapping[B, set[V]]]],
    truth: Mapping[B, V],
) -> tuple[Score, dict[B, set[V]], list[str]]:
    """Apply every attack whose guesses hold against ``truth``; return the observer's score,
    its anonymity sets and the names of the refuted guesses."""
    kept: list[Mapping[B, set[V]]] = []
    refuted: list[str] = []
    wrong_total = 0
    for attack_name, attack in attacks.items():
        constraint = attack()
        wrong = sum(1 for b, possible in constraint.items() if truth[b] not in possible)
        if wrong:
            refuted.append(f"{attack_name} (wrong for {wrong} ballots)")
            wrong_total += wrong
        else:
            kept.append(constraint)
    sets = refine(intersect(ballots, voters, kept))
    assert sets is not None, f"{name}: sound constraints cannot contradict each other"
    assert all(truth[b] in sets[b] for b in ballots), f"{name}: refinement lost a real caster"
    return Score(name, wrong_total, min(len(s) for s in sets.values())), sets, refuted

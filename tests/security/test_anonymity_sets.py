"""The anonymity-set arithmetic the secrecy test relies on, checked against brute force."""

from __future__ import annotations

import itertools
import random

from tests.security._anonymity import refine, score


def _brute_force(allowed: dict[int, set[int]]) -> dict[int, set[int]] | None:
    ballots = list(allowed)
    voters = sorted(set().union(*allowed.values()))
    seen: dict[int, set[int]] = {b: set() for b in ballots}
    possible = False
    for order in itertools.permutations(voters, len(ballots)):
        if all(order[i] in allowed[b] for i, b in enumerate(ballots)):
            possible = True
            for i, b in enumerate(ballots):
                seen[b].add(order[i])
    return seen if possible else None


def test_refine_keeps_exactly_the_pairs_some_complete_assignment_uses() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        n = rng.randint(1, 6)
        allowed = {b: {v for v in range(n) if rng.random() < 0.5} for b in range(n)}
        assert refine(allowed) == _brute_force(allowed)


def test_timing_alone_pins_every_ballot_of_a_log_published_one_by_one() -> None:
    # Voter i casts at second i and its ballot is public from second i + 0.5: "cast before
    # the ballot appeared" plus "one ballot each" leaves exactly one voter per ballot.
    voters = list(range(30))
    ballots = [f"b{i}" for i in voters]
    truth = dict(zip(ballots, voters, strict=True))
    appears = {f"b{i}": i + 0.5 for i in voters}
    attack = {"timing": lambda: {b: {v for v in voters if v < appears[b]} for b in ballots}}
    result, sets, refuted = score("public", ballots, voters, attack, truth)
    assert refuted == []
    assert result.smallest == 1
    assert all(sets[b] == {truth[b]} for b in ballots)


def test_a_wrong_guess_is_refuted_and_rules_nobody_out() -> None:
    voters = list(range(10))
    ballots = [f"b{i}" for i in voters]
    truth = dict(zip(ballots, voters, strict=True))
    wrong = {"order": lambda: {b: {(truth[b] + 1) % 10} for b in ballots}}
    result, _, refuted = score("db", ballots, voters, wrong, truth)
    assert refuted == ["order (wrong for 10 ballots)"]
    assert result.smallest == 10

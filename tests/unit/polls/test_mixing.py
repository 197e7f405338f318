"""The mixing rule: every batch has at least k ballots (the last one too) and none is lost."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.polls.casting.mixing import batch_size
from shared.log.integrator import MAX_BATCH


def test_nothing_moves_until_the_pool_holds_twice_k() -> None:
    assert batch_size(39, 20, closing=False) == 0
    assert batch_size(40, 20, closing=False) == 20
    assert batch_size(41, 20, closing=False) == 21  # k stay behind


def test_under_load_all_but_k_move() -> None:
    assert batch_size(1_000, 20, closing=False) == 980


def test_at_close_everything_left_moves() -> None:
    assert batch_size(7, 20, closing=True) == 7
    assert batch_size(39, 20, closing=True) == 39


def test_a_batch_never_exceeds_what_one_checkpoint_takes_and_leaves_k_behind() -> None:
    assert batch_size(10 * MAX_BATCH, 20, closing=False) == MAX_BATCH
    assert batch_size(MAX_BATCH + 5, 20, closing=True) == MAX_BATCH - 15


@settings(max_examples=300, deadline=None)
@given(
    k=st.integers(10, 60),
    arrivals=st.lists(st.integers(0, 400), min_size=1, max_size=40),
)
def test_every_batch_of_a_poll_is_at_least_min_k_n_and_every_ballot_arrives(
    k: int, arrivals: list[int]
) -> None:
    pooled = published = 0
    batches: list[int] = []
    for arriving in arrivals:  # one integrator round after each burst of casts
        pooled += arriving
        take = batch_size(pooled, k, closing=False)
        if take:
            assert pooled - take >= k  # the pool never falls below k once it reached 2k
            batches.append(take)
            pooled -= take
            published += take
    while pooled:  # the poll closes
        take = batch_size(pooled, k, closing=True)
        batches.append(take)
        pooled -= take
        published += take
    total = sum(arrivals)
    assert published == total
    assert all(size >= min(k, total) for size in batches)


@settings(max_examples=500, deadline=None)
@given(
    k=st.integers(10, 1_000_000),
    pooled=st.integers(0, 3_000_000),
    closing=st.booleans(),
)
def test_no_batch_and_no_remainder_falls_below_k_whatever_k_is(
    k: int, pooled: int, closing: bool
) -> None:
    take = batch_size(pooled, k, closing=closing)
    assert 0 <= take <= pooled
    assert take <= max(MAX_BATCH, 2 * k)
    left = pooled - take
    if closing:
        assert take >= min(k, pooled)
        assert left == 0 or left >= k  # the next round's batch is at least k too
    else:
        assert take == 0 or (take >= k and left >= k)


def test_an_anonymity_batch_above_half_the_checkpoint_cap_still_moves_k_at_least() -> None:
    k = MAX_BATCH  # allowed: the schema takes up to a million
    assert batch_size(2 * k + 7, k, closing=False) == k + 7
    assert batch_size(2 * k + 7, k, closing=True) == k + 7
    assert batch_size(k + 7, k, closing=True) == k + 7

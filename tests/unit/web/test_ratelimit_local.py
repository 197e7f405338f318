"""The in-process counters that stand in for Redis: a window per key, bounded memory, and a
refusal rather than no counting when full."""

from __future__ import annotations

import ipaddress
from typing import cast

from litestar.types import Scope

from shared.web.ratelimit import LocalCounters, client_address


def test_a_key_over_its_limit_waits_for_its_window() -> None:
    now = [100.0]
    counters = LocalCounters(clock=lambda: now[0])
    answers = [counters.hit(["k"], [3, 60]) for _ in range(4)]
    assert answers[:3] == [None, None, None]
    assert answers[3] == 60
    now[0] += 30
    assert counters.hit(["k"], [3, 60]) == 30
    assert counters.hit(["other"], [3, 60]) is None
    now[0] += 31
    assert counters.hit(["k"], [3, 60]) is None


def test_memory_is_bounded_and_a_full_table_refuses() -> None:
    now = [0.0]
    counters = LocalCounters(capacity=10, clock=lambda: now[0])
    for n in range(10):
        assert counters.hit([f"k{n}"], [5, 60]) is None
    assert counters.hit(["one-too-many"], [5, 60]) == 60
    assert len(counters) == 10
    now[0] += 61  # every window has ended: the table empties itself for new keys
    assert counters.hit(["one-too-many"], [5, 60]) is None
    assert len(counters) == 1


PROXIES = (ipaddress.ip_network("10.0.0.0/8"),)


def _scope(peer: str, *forwarded: str) -> Scope:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return cast("Scope", {"type": "http", "client": (peer, 1), "headers": headers})


def test_the_client_is_the_right_most_untrusted_hop_from_a_trusted_peer() -> None:
    assert client_address(_scope("10.0.0.1", "1.2.3.4, 198.51.100.7"), PROXIES) == "198.51.100.7"
    assert client_address(_scope("10.0.0.1", "198.51.100.7, 10.2.2.2"), PROXIES) == "198.51.100.7"
    # Two headers are one list, in order.
    assert client_address(_scope("10.0.0.1", "1.2.3.4", "198.51.100.8"), PROXIES) == "198.51.100.8"
    assert client_address(_scope("10.0.0.1", "198.51.100.9:5555"), PROXIES) == "198.51.100.9"
    assert client_address(_scope("10.0.0.1", "[2001:db8::1]:443"), PROXIES) == "2001:db8::1"
    assert client_address(_scope("10.0.0.1"), PROXIES) == "10.0.0.1"
    assert client_address(_scope("10.0.0.1", "10.0.0.9, 10.0.0.8"), PROXIES) == "10.0.0.9"
    assert client_address(_scope("::ffff:10.0.0.1", "198.51.100.7"), PROXIES) == "198.51.100.7"


def test_an_untrusted_peer_is_its_own_address_whatever_it_sends() -> None:
    assert client_address(_scope("198.51.100.1", "1.2.3.4"), PROXIES) == "198.51.100.1"
    assert client_address(_scope("198.51.100.1", "10.0.0.1"), PROXIES) == "198.51.100.1"
    assert client_address(_scope("10.0.0.1", "1.2.3.4"), ()) == "10.0.0.1"

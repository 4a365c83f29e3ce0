"""The import sign-in throttle: per-client exponential waits, a global cap, bounded memory."""

from __future__ import annotations

import logging

import pytest

from geo.gate import SignInThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_each_failure_doubles_the_wait_up_to_the_maximum(clock):
    throttle = SignInThrottle(base_delay_s=1, max_delay_s=8, global_limit=1000, clock=clock)
    delays = []
    for _ in range(6):
        delays.append(throttle.failed("203.0.113.5"))
        clock.now += delays[-1]  # the client waits out each delay before trying again
    assert delays == [1, 2, 4, 8, 8, 8]


def test_a_client_must_wait_and_others_need_not(clock):
    throttle = SignInThrottle(base_delay_s=4, global_limit=1000, clock=clock)
    assert throttle.wait_s("203.0.113.5") == 0
    throttle.failed("203.0.113.5")
    assert throttle.wait_s("203.0.113.5") == 4
    clock.now += 3
    assert throttle.wait_s("203.0.113.5") == pytest.approx(1)
    assert throttle.wait_s("198.51.100.7") == 0
    clock.now += 1
    assert throttle.wait_s("203.0.113.5") == 0


def test_success_forgets_the_failures(clock):
    throttle = SignInThrottle(global_limit=1000, clock=clock)
    throttle.failed("a")
    throttle.failed("a")
    throttle.succeeded("a")
    assert throttle.wait_s("a") == 0
    assert throttle.failed("a") == 1  # counting starts again


def test_many_addresses_trip_the_global_cap(clock):
    throttle = SignInThrottle(global_limit=5, global_window_s=60, global_lock_s=120, clock=clock)
    for n in range(4):
        throttle.failed(f"10.0.0.{n}")
        clock.now += 1
    assert throttle.wait_s("192.0.2.1") == 0  # four failures: below the cap
    throttle.failed("10.0.0.99")
    assert throttle.wait_s("192.0.2.1") == 120  # a client that never failed waits too
    clock.now += 120
    assert throttle.wait_s("192.0.2.1") == 0


def test_failures_older_than_the_window_do_not_count_towards_the_cap(clock):
    throttle = SignInThrottle(global_limit=3, global_window_s=10, global_lock_s=60, clock=clock)
    throttle.failed("a")
    throttle.failed("b")
    clock.now += 11
    throttle.failed("c")
    assert throttle.wait_s("d") == 0


def test_memory_is_bounded_by_forgetting_the_quietest_client(clock):
    throttle = SignInThrottle(global_limit=10_000, max_clients=3, clock=clock)
    for name in ("a", "b", "c", "d"):
        throttle.failed(name)
    assert len(throttle._clients) == 3
    assert throttle.wait_s("a") == 0  # the oldest was forgotten
    assert throttle.wait_s("d") == 1


def test_each_failure_is_logged_with_the_address(clock, caplog):
    throttle = SignInThrottle(global_limit=1000, clock=clock)
    with caplog.at_level(logging.WARNING, logger="hikmap.import"):
        throttle.failed("203.0.113.5")
    assert "import sign-in failed from 203.0.113.5 (1 in a row" in caplog.text

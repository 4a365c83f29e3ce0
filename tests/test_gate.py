"""The import sign-in throttle: per-client exponential waits, a global cap, bounded memory."""

from __future__ import annotations

import logging

import pytest

from geo.gate import MIN_TOKEN_LENGTH, SignInThrottle, client_address, parse_networks, token_problem


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


def test_the_right_token_is_accepted_even_while_its_address_is_told_to_wait(clock):
    """An outside review locked the owner out for good: tries during a wait went unchecked."""
    throttle = SignInThrottle(base_delay_s=60, global_limit=1000, clock=clock)
    refused = throttle.attempt("203.0.113.5", "guess", "the-right-fictional-token")
    assert not refused.accepted and refused.wait_s == 60
    assert throttle.attempt("203.0.113.5", "the-right-fictional-token", "the-right-fictional-token").accepted
    assert throttle.wait_s("203.0.113.5") == 0  # and its failures are forgotten


def test_a_wrong_token_during_a_wait_is_refused_and_counted(clock):
    throttle = SignInThrottle(base_delay_s=1, global_limit=1000, clock=clock)
    waits = [throttle.attempt("203.0.113.5", "guess", "right-token-of-fiction").wait_s for _ in range(4)]
    assert waits == [1, 2, 4, 8]  # no time passed: every try counted


def test_the_right_token_is_accepted_during_a_global_lock(clock):
    throttle = SignInThrottle(global_limit=3, global_window_s=60, global_lock_s=120, clock=clock)
    for n in range(3):
        throttle.attempt(f"10.0.0.{n}", "guess", "right-token-of-fiction")
    assert throttle.wait_s("192.0.2.1") == 120
    assert throttle.attempt("192.0.2.1", "right-token-of-fiction", "right-token-of-fiction").accepted


def test_the_global_lock_is_capped_not_renewed_by_failures_during_it(clock):
    throttle = SignInThrottle(global_limit=3, global_window_s=600, global_lock_s=120, clock=clock)
    for n in range(3):
        throttle.failed(f"10.0.0.{n}")
    for n in range(50):  # a flood during the lock
        clock.now += 2
        throttle.failed(f"10.0.1.{n}")
    assert throttle.wait_s("192.0.2.1") == 20  # still the first lock: 120 s after it began, 100 s gone
    clock.now += 20
    assert throttle.wait_s("192.0.2.1") == 0
    throttle.failed("10.0.2.1")  # counting started again when the lock ended
    assert throttle.wait_s("192.0.2.1") == 0


def test_an_empty_expected_token_accepts_nothing(clock):
    throttle = SignInThrottle(global_limit=1000, clock=clock)
    assert not throttle.attempt("a", "", "").accepted


@pytest.mark.parametrize(
    "token, ok", [("", False), ("x" * (MIN_TOKEN_LENGTH - 1), False), ("x" * MIN_TOKEN_LENGTH, True)]
)
def test_import_needs_a_credential_long_enough_not_to_be_guessed(token, ok):
    assert (token_problem(token) == "") is ok


TRUSTED = parse_networks("198.51.100.10, 10.1.0.0/16")


@pytest.mark.parametrize(
    "peer, forwarded, expected",
    [
        ("203.0.113.5", [], "203.0.113.5"),  # no proxy
        ("203.0.113.5", ["192.0.2.66"], "203.0.113.5"),  # anyone can write the header: not believed
        ("198.51.100.10", ["192.0.2.66"], "192.0.2.66"),  # from the trusted proxy: believed
        ("198.51.100.10", ["6.6.6.6, 192.0.2.66"], "192.0.2.66"),  # the client's own first entry is not
        ("198.51.100.10", ["192.0.2.66, 10.1.2.3"], "192.0.2.66"),  # a chain of trusted proxies is skipped
        ("198.51.100.10", [], "198.51.100.10"),  # the proxy forwarded nothing
        ("198.51.100.10", ["not-an-address"], "not-an-address"),
        (None, ["192.0.2.66"], "127.0.0.1"),  # loopback, not trusted here
    ],
)
def test_the_client_address_believes_forwarding_only_from_a_trusted_proxy(peer, forwarded, expected):
    assert client_address(peer, forwarded, TRUSTED) == expected


def test_a_proxy_on_the_same_host_can_be_trusted():
    assert client_address(None, ["192.0.2.66"], parse_networks("127.0.0.1")) == "192.0.2.66"


def test_a_bad_trusted_proxy_setting_is_named():
    with pytest.raises(ValueError, match="'nonsense'"):
        parse_networks("10.0.0.1, nonsense")

"""`LoginThrottle`: failed sign-ins per (identity, client IP) slow the next attempts, then refuse them
until the window has passed; a success forgets them. Time is a clock the tests move."""

from __future__ import annotations

import threading

import pytest

from dockyard.auth.throttle import LoginThrottle, ThrottleVerdict

IP = "203.0.113.5"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def throttle(clock: Clock) -> LoginThrottle:
    return LoginThrottle(clock, after=5, refuse_after=10, window_seconds=300)


def _fail(throttle: LoginThrottle, times: int, identity: str = "owner", ip: str = IP) -> None:
    for _ in range(times):
        throttle.failed(identity, ip)


def test_a_first_attempt_proceeds_at_once(throttle: LoginThrottle) -> None:
    assert throttle.check("owner", IP) == ThrottleVerdict(delay_seconds=0.0, retry_after=None)


def test_failures_below_the_threshold_cost_nothing(throttle: LoginThrottle) -> None:
    _fail(throttle, 4)

    assert throttle.check("owner", IP) == ThrottleVerdict()


@pytest.mark.parametrize(("failures", "delay"), [(5, 0.25), (6, 0.5), (7, 1.0), (8, 2.0), (9, 2.0)])
def test_from_the_threshold_on_each_attempt_is_delayed_more_up_to_two_seconds(
    throttle: LoginThrottle, failures: int, delay: float
) -> None:
    _fail(throttle, failures)

    verdict = throttle.check("owner", IP)

    assert verdict == ThrottleVerdict(delay_seconds=delay)
    assert not verdict.refused


def test_at_refuse_after_failures_attempts_are_refused_for_the_window(throttle: LoginThrottle, clock: Clock) -> None:
    _fail(throttle, 10)

    assert throttle.check("owner", IP) == ThrottleVerdict(retry_after=300)
    clock.advance(299.5)
    assert throttle.check("owner", IP) == ThrottleVerdict(retry_after=1)
    assert throttle.check("owner", IP).refused


def test_once_the_window_has_passed_the_failures_are_forgotten(throttle: LoginThrottle, clock: Clock) -> None:
    _fail(throttle, 10)
    clock.advance(300)

    assert throttle.check("owner", IP) == ThrottleVerdict()
    throttle.failed("owner", IP)
    assert throttle.check("owner", IP) == ThrottleVerdict()  # counting starts again from one


def test_the_window_runs_from_the_latest_failure(throttle: LoginThrottle, clock: Clock) -> None:
    _fail(throttle, 9)
    clock.advance(200)
    throttle.failed("owner", IP)  # the tenth, 200 s after the first

    clock.advance(200)
    assert throttle.check("owner", IP) == ThrottleVerdict(retry_after=100)


def test_a_success_forgets_the_failures(throttle: LoginThrottle) -> None:
    _fail(throttle, 10)

    throttle.succeeded("owner", IP)

    assert throttle.check("owner", IP) == ThrottleVerdict()


def test_failures_from_one_ip_do_not_touch_the_same_identity_elsewhere(throttle: LoginThrottle) -> None:
    _fail(throttle, 10, ip=IP)

    assert throttle.check("owner", "198.51.100.7") == ThrottleVerdict()
    assert throttle.check("owner", "2001:db8::1") == ThrottleVerdict()


def test_failures_of_one_identity_do_not_touch_another_from_the_same_ip(throttle: LoginThrottle) -> None:
    _fail(throttle, 10, identity="owner")

    assert throttle.check("ci-app", IP) == ThrottleVerdict()


def test_a_success_of_one_key_leaves_the_others_counted(throttle: LoginThrottle) -> None:
    _fail(throttle, 10, identity="owner")
    _fail(throttle, 10, identity="ci-app")

    throttle.succeeded("ci-app", IP)

    assert throttle.check("owner", IP).refused
    assert not throttle.check("ci-app", IP).refused


def test_an_identity_is_counted_whatever_its_case(throttle: LoginThrottle) -> None:
    _fail(throttle, 5, identity="Owner")
    _fail(throttle, 5, identity="OWNER")

    assert throttle.check("owner", IP).refused


def test_the_least_recently_failed_keys_are_forgotten_beyond_the_bound(clock: Clock) -> None:
    throttle = LoginThrottle(clock, after=1, refuse_after=2, window_seconds=300, max_keys=3)
    for identity in ("a", "b", "c"):
        _fail(throttle, 2, identity=identity)
    throttle.failed("a", IP)  # "a" failed most recently now; "b" least

    throttle.failed("d", IP)

    assert throttle.tracked_keys() == 3
    assert throttle.check("b", IP) == ThrottleVerdict()
    assert throttle.check("a", IP).refused
    assert throttle.check("c", IP).refused


def test_checking_an_unknown_key_stores_nothing(throttle: LoginThrottle) -> None:
    for index in range(1000):
        throttle.check(f"user{index}", IP)
        throttle.succeeded(f"user{index}", IP)

    assert throttle.tracked_keys() == 0


def test_failures_counted_from_many_threads_are_all_counted(clock: Clock) -> None:
    throttle = LoginThrottle(clock, after=1000, refuse_after=4000, window_seconds=300)

    threads = [threading.Thread(target=_fail, args=(throttle, 500)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert throttle.check("owner", IP).refused
    throttle.succeeded("owner", IP)
    _fail(throttle, 3999)
    assert not throttle.check("owner", IP).refused


@pytest.mark.parametrize(("after", "refuse_after", "window"), [(-1, 10, 300), (5, 0, 300), (5, 10, 0)])
def test_nonsense_settings_are_refused(clock: Clock, after: int, refuse_after: int, window: int) -> None:
    with pytest.raises(ValueError, match="login throttle"):
        LoginThrottle(clock, after=after, refuse_after=refuse_after, window_seconds=window)

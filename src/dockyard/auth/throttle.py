"""`LoginThrottle`: slow down, then refuse, repeated failed sign-ins by one identity from one client IP.

Failures are counted per (identity, client IP) and forgotten `window_seconds` after the latest one, or
at the first success. From `after` failures on, each attempt is delayed (0.25 s, doubling, at most
2 s); from `refuse_after` failures on, attempts are refused until the window has passed since the
latest failure. One key never affects another, so a password-guessing client locks out only itself,
never the same identity signing in from elsewhere.

The counts live in this process's memory only (bounded: the least recently failed keys are forgotten
first), so with several workers each counts on its own; nothing here does I/O or knows HTTP.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]

FIRST_DELAY_SECONDS = 0.25
MAX_DELAY_SECONDS = 2.0
MAX_KEYS = 100_000


@dataclass(frozen=True)
class ThrottleVerdict:
    """What to do with a sign-in attempt before its credentials are checked."""

    delay_seconds: float = 0.0  # wait this long first
    retry_after: int | None = None  # refuse (429 TOOMANYREQUESTS, `Retry-After`): seconds until allowed again

    @property
    def refused(self) -> bool:
        """Whether the attempt must be refused without checking its credentials."""
        return self.retry_after is not None


_PROCEED = ThrottleVerdict()


@dataclass
class _Failures:
    count: int
    forget_at: float  # the latest failure plus the window


class LoginThrottle:
    """Failed sign-ins per (identity, client IP), and the verdict they earn the next attempt."""

    def __init__(
        self, clock: Clock, after: int, refuse_after: int, window_seconds: int, max_keys: int = MAX_KEYS
    ) -> None:
        if after < 0 or refuse_after < 1 or window_seconds < 1 or max_keys < 1:
            raise ValueError("login throttle: after >= 0, refuse_after >= 1, window_seconds >= 1, max_keys >= 1")
        self._clock = clock
        self._after = after
        self._refuse_after = refuse_after
        self._window = window_seconds
        self._max_keys = max_keys
        self._failures: OrderedDict[tuple[str, str], _Failures] = OrderedDict()  # least recently failed first
        self._lock = threading.Lock()

    def check(self, identity: str, ip: str) -> ThrottleVerdict:
        """The verdict for an attempt by `identity` from `ip`, made before its credentials are checked."""
        now = self._clock()
        with self._lock:
            failures = self._current(_key(identity, ip), now)
        if failures is None or failures.count < self._after:
            return _PROCEED
        if failures.count >= self._refuse_after:
            return ThrottleVerdict(retry_after=max(1, math.ceil(failures.forget_at - now)))
        doublings = failures.count - self._after
        return ThrottleVerdict(delay_seconds=min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** min(doublings, 16)))

    def failed(self, identity: str, ip: str) -> None:
        """Count a failed sign-in by `identity` from `ip` (wrong secret, unknown or disabled identity…)."""
        now = self._clock()
        key = _key(identity, ip)
        with self._lock:
            failures = self._current(key, now)
            if failures is None:
                self._failures[key] = _Failures(1, now + self._window)
                if len(self._failures) > self._max_keys:
                    self._failures.popitem(last=False)
            else:
                failures.count += 1
                failures.forget_at = now + self._window
                self._failures.move_to_end(key)

    def succeeded(self, identity: str, ip: str) -> None:
        """Forget the failures of `identity` from `ip`: it has signed in."""
        with self._lock:
            self._failures.pop(_key(identity, ip), None)

    def _current(self, key: tuple[str, str], now: float) -> _Failures | None:
        failures = self._failures.get(key)
        if failures is not None and now >= failures.forget_at:
            del self._failures[key]
            return None
        return failures

    def tracked_keys(self) -> int:
        """How many (identity, IP) keys have failures counted (some may have expired unnoticed)."""
        return len(self._failures)


def _key(identity: str, ip: str) -> tuple[str, str]:
    # User names and application ids are matched without regard to case at sign-in, so they are counted so too.
    return identity.casefold(), ip

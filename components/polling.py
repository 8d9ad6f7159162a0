"""The one polling loop of the dynamic providers: look, and until it is done wait, bounded by a timeout.

The appliance's registration, the modernized discovery, an ASR job and the post-migration restart (on an event
loop: `poll_until_async`) are each waited for with `poll_until`: what to look at, what "done" is and what the
timeout error says differ; the loop, its clock and its bound do not. (The EC2 source stop waits with botocore's
own `instance_stopped` waiter.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

Done = TypeVar("Done")
Seen = TypeVar("Seen")


def poll_until(
    look: Callable[[], tuple[Done | None, Seen]],
    *,
    timeout: float,
    interval: float | Callable[[Seen], float],
    timed_out: Callable[[Seen], Exception],
    waiting: Callable[[Seen, float], None] | None = None,
) -> Done:
    """Call `look` until it returns a result that is not None, and return that result.

    `look` returns (result or None, what it saw). Between looks the loop sleeps `interval` seconds (or
    `interval(seen)`, for a server's `Retry-After`), never past `timeout` seconds after the first look; once that
    has passed, it raises `timed_out(seen)` with the last look's state. `waiting(seen, elapsed)` is called before
    each sleep, for a progress line.
    """
    started = time.monotonic()
    while True:
        done, seen = look()
        if done is not None:
            return done
        time.sleep(_pause(started, seen, timeout, interval, timed_out, waiting))


async def poll_until_async(
    look: Callable[[], Awaitable[tuple[Done | None, Seen]]],
    *,
    timeout: float,
    interval: float | Callable[[Seen], float],
    timed_out: Callable[[Seen], Exception],
    waiting: Callable[[Seen, float], None] | None = None,
) -> Done:
    """`poll_until` for a coroutine `look`, sleeping without holding the event loop."""
    started = time.monotonic()
    while True:
        done, seen = await look()
        if done is not None:
            return done
        await asyncio.sleep(_pause(started, seen, timeout, interval, timed_out, waiting))


def _pause(
    started: float,
    seen: Seen,
    timeout: float,
    interval: float | Callable[[Seen], float],
    timed_out: Callable[[Seen], Exception],
    waiting: Callable[[Seen, float], None] | None,
) -> float:
    """The seconds to sleep after a look that saw `seen` and was not done; raises `timed_out(seen)` past the bound."""
    elapsed = time.monotonic() - started
    if elapsed >= timeout:
        raise timed_out(seen)
    if waiting is not None:
        waiting(seen, elapsed)
    delay = interval(seen) if callable(interval) else interval
    return max(0.0, min(delay, timeout - elapsed))

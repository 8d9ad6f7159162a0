"""`poll_until` (and `poll_until_async`), the one polling loop of the dynamic providers: when it looks, how long it sleeps, when it gives up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from components.asr import arm
from components.polling import poll_until, poll_until_async


class _TimeoutError(Exception):
    pass


def test_it_returns_the_first_result_and_reports_every_wait_in_between() -> None:
    answers = iter([None, None, "registered"])
    waits: list[tuple[int, float]] = []
    looks = 0

    def look() -> tuple[str | None, int]:
        nonlocal looks
        looks += 1
        return next(answers), looks

    result = poll_until(
        look,
        timeout=5,
        interval=0.01,
        timed_out=lambda seen: _TimeoutError(seen),
        waiting=lambda seen, elapsed: waits.append((seen, elapsed)),
    )
    assert (result, looks) == ("registered", 3)
    assert [seen for seen, _ in waits] == [1, 2]  # before each sleep, with what the look saw
    assert all(0 <= elapsed < 5 for _, elapsed in waits)


def test_a_timeout_raises_the_callers_error_with_the_last_state_and_never_sleeps_past_it() -> None:
    looks = 0

    def look() -> tuple[None, int]:
        nonlocal looks
        looks += 1
        return None, looks

    started = time.monotonic()
    with pytest.raises(_TimeoutError) as caught:
        poll_until(look, timeout=0.2, interval=30, timed_out=_TimeoutError)
    assert time.monotonic() - started < 5  # the 30 s interval is cut to what is left of the 0.2 s bound
    assert caught.value.args == (2,) and looks == 2  # one more look at the bound, and that look is reported


def test_the_interval_may_follow_what_the_server_said() -> None:
    delays: list[float] = []
    answers = iter([(None, 0.05), (None, 0.0), ("done", 0.0)])

    def interval(retry_after: float) -> float:
        delays.append(retry_after)
        return retry_after

    assert poll_until(lambda: next(answers), timeout=5, interval=interval, timed_out=_TimeoutError) == "done"
    assert delays == [0.05, 0.0]


def test_the_async_loop_follows_the_same_rules_and_lets_other_waits_run_meanwhile() -> None:
    """`poll_until_async`: same result, reports and bound; two waits on one event loop overlap instead of queueing."""
    waits: list[int] = []
    looked: list[str] = []  # which wait looked, in order

    def looker(answers: list[str | None], label: str) -> Callable[[], Awaitable[tuple[str | None, int]]]:
        remaining = iter(answers)
        looks = 0

        async def look() -> tuple[str | None, int]:
            nonlocal looks
            looks += 1
            looked.append(label)
            return next(remaining), looks

        return look

    async def both() -> list[str]:
        first = poll_until_async(looker([None, None, "a"], "a"), timeout=5, interval=0.1, timed_out=_TimeoutError,
                                 waiting=lambda seen, _elapsed: waits.append(seen))  # fmt: skip
        second = poll_until_async(looker([None, None, "b"], "b"), timeout=5, interval=0.1, timed_out=_TimeoutError)
        return list(await asyncio.gather(first, second))

    started = time.monotonic()
    assert arm.run_on_own_loop(both()) == ["a", "b"]
    assert looked == ["a", "b"] * 3  # each sleep lets the other wait look: side by side, not one after the other
    assert time.monotonic() - started < 0.4  # 2 x 0.1 s of sleep each: about 0.2 s together, 0.4 s in a queue
    assert waits == [1, 2]

    async def never() -> tuple[None, str]:
        return None, "still starting"

    with pytest.raises(_TimeoutError) as caught:
        arm.run_on_own_loop(poll_until_async(never, timeout=0.2, interval=30, timed_out=_TimeoutError))
    assert caught.value.args == ("still starting",)

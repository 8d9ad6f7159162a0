"""`poll_until`, the one polling loop of the dynamic providers: when it looks, how long it sleeps, when it gives up."""

from __future__ import annotations

import time

import pytest

from components.polling import poll_until


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

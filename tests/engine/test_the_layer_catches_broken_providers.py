"""The engine-faithful layer fails on the mistakes it is there for: providers in tests/engine/broken.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.engine import broken
from tests.engine.harness import Engine, EngineError
from tests.engine.test_wave_under_the_engine import assert_safe_preview


def test_a_check_that_rejects_unknowns_fails_the_first_preview(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine()
    engine.program = broken.run
    raw = {"provider": "strict-check", "tags": {"owner": "a"}}
    with pytest.raises(AssertionError, match="preview failed: action: check failed: resource_group_name"):
        assert_safe_preview(engine.preview(raw))
    with pytest.raises(EngineError, match="preview failed"):
        engine.up(raw)


def test_a_diff_that_replaces_on_an_unknown_shows_a_ran_action_replaced(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine()
    engine.program = broken.run
    raw = {"provider": "naive-diff", "tags": {"owner": "a"}}
    engine.up(raw)
    raw["tags"] = {"owner": "b"}  # a harmless edit upstream: the group's name is unknown in preview
    with pytest.raises(AssertionError, match=r"preview shows replacements: \['action'\]"):
        assert_safe_preview(engine.preview(raw))

"""Shared test setup: an Output used in an f-string fails the test instead of rendering a warning."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _outputs_in_strings_fail(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PULUMI_ERROR_OUTPUT_STRING", "true")
    yield

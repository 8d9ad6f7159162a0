"""Shared test setup: an Output used in an f-string fails the test instead of rendering a warning; moto's EC2
starts without its catalogue of public AMIs (the tests register the AMIs they use, and loading the catalogue was
a second per test that makes a moto fleet)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")  # read when moto builds a region's EC2 backend


@pytest.fixture(autouse=True)
def _outputs_in_strings_fail(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PULUMI_ERROR_OUTPUT_STRING", "true")
    yield

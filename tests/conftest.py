"""Shared test setup: an Output used in an f-string fails the test instead of rendering a warning; moto's EC2
starts without its catalogue of public AMIs (the tests register the AMIs they use, and loading the catalogue was
a second per test that makes a moto fleet); and every botocore session of a test process shares one loader of
botocore's JSON models (moto gives each `mock_aws` a fresh default session, which parsed the endpoint and service
models again: about a second per test that calls AWS)."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator

import botocore.loaders
import botocore.session
import pytest

os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")  # read when moto builds a region's EC2 backend
# A Loader caches what it parsed; botocore's data is read-only to its clients, so sharing one is what a single
# long-lived session does anyway. Keyed by the data path, so AWS_DATA_PATH still gets its own loader.
botocore.session.create_loader = functools.cache(botocore.loaders.create_loader)


@pytest.fixture(autouse=True)
def _outputs_in_strings_fail(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PULUMI_ERROR_OUTPUT_STRING", "true")
    yield

"""pytest fixtures for the fake ARM server; import them explicitly in a test module:

    from tests.fake_arm.fixtures import arm_env_fixture, fake_arm_fixture  # noqa: F401

and use them by name in tests (`def test_x(fake_arm: FakeArm, arm_env: StaticTokenCredential)`); the
functions carry a `_fixture` suffix so the import does not shadow the test parameters.

`fake_arm` starts a fresh server per test. `arm_env` points the client layer at it the way a user would
(environment variables, read at call time) and makes `components.asr.arm.default_credential` (and
`default_async_credential`) return a static test token, so code that builds its own clients (dynamic providers)
talks to the fake without any test hook in production code. Retries are configured small so fault tests stay fast.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from components.asr import arm
from tests.fake_arm.credential import AsyncStaticTokenCredential, StaticTokenCredential
from tests.fake_arm.server import SUBSCRIPTION, FakeArm


@pytest.fixture(name="fake_arm")
def fake_arm_fixture() -> Iterator[FakeArm]:
    server = FakeArm(job_step_seconds=0.05, retry_after="0.05").start()
    try:
        yield server
    finally:
        server.stop()


def aim_client_layer(url: str, monkeypatch: pytest.MonkeyPatch, **settings: str) -> StaticTokenCredential:
    """Point the client layer at a fake server at `url`, with short retries and the given extra `ASR_*`
    settings; every client then gets the returned static-token credential."""
    for variable in ("AZURE_CLOUD", "ARM_SUBSCRIPTION_ID", "AZURE_AUTHORITY_HOST"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("ASR_ARM_ENDPOINT", url)
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION)
    defaults = {
        "ASR_HTTP_TIMEOUT_SECONDS": "5",
        "ASR_RETRY_TOTAL": "3",
        "ASR_RETRY_BACKOFF_SECONDS": "0.01",
        "ASR_RETRY_BACKOFF_MAX_SECONDS": "0.1",
    }
    for variable, value in {**defaults, **settings}.items():
        monkeypatch.setenv(variable, value)
    credential = StaticTokenCredential()
    monkeypatch.setattr(arm, "default_credential", lambda _settings: credential)
    monkeypatch.setattr(arm, "default_async_credential", lambda _settings: AsyncStaticTokenCredential(credential))
    return credential


@pytest.fixture(name="arm_env")
def arm_env_fixture(fake_arm: FakeArm, monkeypatch: pytest.MonkeyPatch) -> StaticTokenCredential:
    """Environment for the client layer aimed at `fake_arm`; returns the credential every client gets."""
    return aim_client_layer(fake_arm.url, monkeypatch, ASR_JOB_TIMEOUT_SECONDS="10", ASR_JOB_POLL_SECONDS="0.05")

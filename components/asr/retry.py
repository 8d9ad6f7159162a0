"""Bounded, jittered retries for ARM requests, added to every client's pipeline by `components.asr.arm`
(`AsrRetryPolicy`; `AsyncAsrRetryPolicy` for the async Compute client, with the same rules).

azure-core's `RetryPolicy` already retries 408/429/500/502/503/504 and dropped connections for idempotent
methods, honours `Retry-After`, and retries a POST on 500/503/504 or whenever the answer carries
`Retry-After`. It does **not** retry a POST answered 429 without `Retry-After`, and ASR throttles exactly
those POSTs (test failover, failover, commit, ...) when a wave starts many of them at once. `AsrRetryPolicy`
is that policy with three changes, made through its public hooks:

1. `is_retry`: a POST is retried on 429 only, with or without `Retry-After`. A throttled request was
   rejected before ASR acted on it, so sending it again cannot start a second operation. azure-core would
   also retry a POST on 500, 503 and 504, but those can come after the request took effect (measured: two
   failover POSTs, two jobs); `components.asr.jobs.start_job` reads the item instead and attaches to its job.
2. `get_backoff_time`: "equal jitter" exponential back-off, from the first retry on: a random delay in
   `[d/2, d]` with `d = backoff * 2**(attempt-1)` capped at `backoff_max`. Many machines throttled at the
   same moment therefore do not come back in lock-step.
3. `sleep`: a server's `Retry-After` is honoured but capped at `retry_after_max`, so no single wait is
   unbounded.

The number of attempts is bounded by `total` for every kind of failure. A POST whose connection dropped
*after* it was sent is not replayed either (azure-core's default, kept). A PATCH (the update of an item's target
settings, which runs as a job) is treated like a POST. GET, PUT and DELETE keep azure-core's retries: they are
idempotent.
"""

from __future__ import annotations

import random
from typing import Any

from azure.core.pipeline import PipelineResponse
from azure.core.pipeline.policies import AsyncRetryPolicy, RetryPolicy
from azure.core.pipeline.transport import AsyncHttpTransport, HttpTransport

ACTION_METHODS = frozenset({"POST", "PATCH"})
"""The methods ASR actions use (a PATCH updates an item's settings as a job): retried on 429 only."""


class _AsrRetryRules:
    """What `AsrRetryPolicy` and `AsyncAsrRetryPolicy` change in azure-core's policies (see the module docstring)."""

    retry_after_max: float

    def __init__(self, *, total: int, backoff: float, backoff_max: float, retry_after_max: float) -> None:
        super().__init__(  # type: ignore[call-arg]  # azure-core's RetryPolicy or AsyncRetryPolicy, next in the MRO
            retry_total=total,
            retry_connect=total,
            retry_read=total,
            retry_status=total,
            retry_backoff_factor=backoff,
            retry_backoff_max=backoff_max,
        )
        self.retry_after_max = retry_after_max

    def is_retry(self, settings: dict[str, Any], response: PipelineResponse[Any, Any]) -> bool:
        if response.http_request.method.upper() in ACTION_METHODS:
            return response.http_response.status_code == 429 and bool(settings["total"])
        return bool(super().is_retry(settings, response))  # type: ignore[misc]

    def get_backoff_time(self, settings: dict[str, Any]) -> float:
        attempt = max(1, len(settings["history"]))
        ceiling = min(float(settings["max_backoff"]), float(settings["backoff"]) * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)

    def delay(self, settings: dict[str, Any], response: PipelineResponse[Any, Any] | None) -> float:
        """Seconds to wait before the next attempt: the server's `Retry-After`, else the back-off; capped."""
        retry_after = self.get_retry_after(response) if response is not None else None  # type: ignore[attr-defined]
        return min(retry_after if retry_after is not None else self.get_backoff_time(settings), self.retry_after_max)


class AsrRetryPolicy(_AsrRetryRules, RetryPolicy):
    """azure-core's RetryPolicy, except: a POST or PATCH is retried on 429 only; jittered back-off; capped waits."""

    def sleep(
        self,
        settings: dict[str, Any],
        transport: HttpTransport[Any, Any],
        response: PipelineResponse[Any, Any] | None = None,
    ) -> None:
        delay = self.delay(settings, response)
        if delay > 0:
            transport.sleep(delay)


class AsyncAsrRetryPolicy(_AsrRetryRules, AsyncRetryPolicy):
    """`AsrRetryPolicy` for the async clients (`components.asr.arm.async_compute_client`)."""

    async def sleep(
        self,
        settings: dict[str, Any],
        transport: AsyncHttpTransport[Any, Any],
        response: PipelineResponse[Any, Any] | None = None,
    ) -> None:
        delay = self.delay(settings, response)
        if delay > 0:
            await transport.sleep(delay)

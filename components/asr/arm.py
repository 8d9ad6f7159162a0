"""ARM clients for Azure Site Recovery and Compute, built fresh inside every call.

Nothing here keeps a client or a credential on an object or at module level: dynamic providers are
pickled into the stack's state, and a client kept on one would carry its credential there. Build a client
at the start of each provider method and close it when done::

    with site_recovery_client() as client:
        client.replication_fabrics.list(resource_group_name, vault_name)

Settings are read from the environment at call time (`load_settings`); a bad value fails with the
variable's name, its value and the rule:

| variable | default | meaning |
|---|---|---|
| `AZURE_SUBSCRIPTION_ID`, else `ARM_SUBSCRIPTION_ID` | required unless passed | subscription of the vault |
| `AZURE_CLOUD` | `AzureCloud` | `AzureCloud`, `AzureUSGovernment` or `AzureChinaCloud`: ARM endpoint, token scope, login authority |
| `ASR_ARM_ENDPOINT` | the cloud's | ARM endpoint override; https, or plain http to a loopback host only |
| `ASR_HTTP_TIMEOUT_SECONDS` | 60 | connect and read timeout of one HTTP request |
| `ASR_RETRY_TOTAL` | 6 | retries of one request (throttling, 5xx, dropped connections) |
| `ASR_RETRY_BACKOFF_SECONDS` | 2 | first back-off; doubles per retry, jittered |
| `ASR_RETRY_BACKOFF_MAX_SECONDS` | 60 | longest back-off, and longest `Retry-After` honoured |
| `ASR_JOB_TIMEOUT_SECONDS` | 10800 | how long `jobs.wait_for_job` waits for an ASR job |
| `ASR_JOB_POLL_SECONDS` | 30 | job polling interval when ASR sends no `Retry-After` |

Credentials: azure-identity's `DefaultAzureCredential` (environment service principal or workload
identity via `AZURE_CLIENT_ID`/`AZURE_TENANT_ID`/`AZURE_CLIENT_SECRET`/`AZURE_FEDERATED_TOKEN_FILE`,
managed identity, Azure CLI login, ...) with the cloud's login authority unless `AZURE_AUTHORITY_HOST`
is set. Tests pass their own credential through the factories' `credential` parameter.
"""

from __future__ import annotations

import asyncio
import importlib
import ipaddress
import os
import threading
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
import requests
from azure.core import AzureClouds
from azure.core.credentials import TokenCredential
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.transport import AioHttpTransport, RequestsTransport
from azure.core.rest import HttpRequest
from azure.identity import AzureAuthorityHosts, DefaultAzureCredential
from azure.identity.aio import DefaultAzureCredential as AsyncDefaultAzureCredential
from azure.mgmt.compute.aio import ComputeManagementClient as AsyncComputeManagementClient
from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, AsyncARMChallengeAuthenticationPolicy
from azure.mgmt.core.tools import get_arm_endpoints
from azure.mgmt.recoveryservices import RecoveryServicesClient
from azure.mgmt.recoveryservicessiterecovery import SiteRecoveryManagementClient

from components.asr.retry import AsrRetryPolicy, AsyncAsrRetryPolicy
from components.settings import AsrSettingsError, count, seconds

_Done = TypeVar("_Done")

# az CLI cloud name -> (azure-core cloud, Entra ID authority host)
CLOUDS: dict[str, tuple[AzureClouds, str]] = {
    "AzureCloud": (AzureClouds.AZURE_PUBLIC_CLOUD, AzureAuthorityHosts.AZURE_PUBLIC_CLOUD),
    "AzureUSGovernment": (AzureClouds.AZURE_US_GOVERNMENT, AzureAuthorityHosts.AZURE_GOVERNMENT),
    "AzureChinaCloud": (AzureClouds.AZURE_CHINA_CLOUD, AzureAuthorityHosts.AZURE_CHINA),
}


@dataclass(frozen=True)
class ArmSettings:
    """The client layer's settings, read from the environment by `load_settings`. Holds no secret."""

    cloud_name: str
    cloud: AzureClouds
    authority: str
    endpoint: str
    credential_scopes: tuple[str, ...]
    http_timeout: float
    retry_total: int
    retry_backoff: float
    retry_backoff_max: float
    job_timeout: float
    job_poll_interval: float


def is_loopback_host(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and `localhost`: the only hosts a bearer token may be sent to over plain http."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings(environ: Mapping[str, str] | None = None) -> ArmSettings:
    """Read the settings from `environ` (default: the process environment, read now, never cached)."""
    env = os.environ if environ is None else environ
    cloud_name = _cloud_name(env.get("AZURE_CLOUD"))
    cloud, default_authority = CLOUDS[cloud_name]
    endpoints = get_arm_endpoints(cloud)
    endpoint = _endpoint(env.get("ASR_ARM_ENDPOINT") or endpoints["resource_manager"])
    return ArmSettings(
        cloud_name=cloud_name,
        cloud=cloud,
        authority=env.get("AZURE_AUTHORITY_HOST") or default_authority,
        endpoint=endpoint,
        credential_scopes=tuple(endpoints["credential_scopes"]),
        http_timeout=seconds("ASR_HTTP_TIMEOUT_SECONDS", 60, env),
        retry_total=count("ASR_RETRY_TOTAL", 6, env),
        retry_backoff=seconds("ASR_RETRY_BACKOFF_SECONDS", 2, env),
        retry_backoff_max=seconds("ASR_RETRY_BACKOFF_MAX_SECONDS", 60, env),
        job_timeout=seconds("ASR_JOB_TIMEOUT_SECONDS", 3 * 3600, env),
        job_poll_interval=seconds("ASR_JOB_POLL_SECONDS", 30, env),
    )


def resolve_subscription_id(subscription_id: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The explicit subscription id, else `AZURE_SUBSCRIPTION_ID`, else `ARM_SUBSCRIPTION_ID` (azure-native's)."""
    env = os.environ if environ is None else environ
    value = subscription_id or env.get("AZURE_SUBSCRIPTION_ID") or env.get("ARM_SUBSCRIPTION_ID")
    if not value:
        raise AsrSettingsError(
            "AZURE_SUBSCRIPTION_ID", None, "is required (or ARM_SUBSCRIPTION_ID, or pass subscription_id)"
        )
    return value


def default_credential(settings: ArmSettings) -> TokenCredential:
    """A new DefaultAzureCredential for the settings' cloud; never cached."""
    return DefaultAzureCredential(authority=settings.authority)


def default_async_credential(settings: ArmSettings) -> AsyncTokenCredential:
    """`default_credential` for the async clients; the caller closes it (`async with`)."""
    return AsyncDefaultAzureCredential(authority=settings.authority)


ASR_API_VERSION = "2025-08-01"  # the Site Recovery SDK's own; a request sent with `send_request` names it


def list_json(
    client: SiteRecoveryManagementClient, path: str, params: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Every page (`nextLink`) of the ARM list at `path` (`params`: its query, `api-version` included), as JSON,
    through `client`'s own pipeline (`send_request`: its endpoint, token, retries and timeouts). For a list the
    SDK has no operation for, or whose models cost more CPU than a wave can spend; raises `HttpResponseError`."""
    items: list[dict[str, Any]] = []
    request: HttpRequest | None = HttpRequest("GET", path, params=dict(params or {}))
    while request is not None:
        response = client.send_request(request)
        response.raise_for_status()
        page = response.json()
        items += page.get("value") or []
        next_link = page.get("nextLink")
        request = HttpRequest("GET", next_link) if next_link else None
    return items


def vault_path(subscription_id: str, resource_group_name: str, vault_name: str) -> str:
    return (
        f"/subscriptions/{subscription_id}/resourceGroups/{resource_group_name}/providers/"
        f"Microsoft.RecoveryServices/vaults/{vault_name}"
    )


_MODEL_PACKAGES = ("azure.mgmt.recoveryservicessiterecovery.models", "azure.mgmt.compute.models")
_models_ready = threading.Lock()
_prepared: set[str] = set()


def prepare_models(packages: tuple[str, ...] = _MODEL_PACKAGES) -> None:
    """Finish the SDKs' lazy per-class model setup once per process, before any client exists.

    The generated models (`_utils/model_base.py` of azure-mgmt-recoveryservicessiterecovery and -compute) work out
    each class's fields the first time the class is instantiated. If another thread builds an object of that class
    at the same moment, fields that hold models keep their raw JSON dict, and `item.properties...vm_nics` or
    `vm.storage_profile.os_disk` then raise `AttributeError: 'dict' object has no attribute ...`: measured with 32
    threads' first use, half of the runs failed; tests/asr/test_model_setup.py reproduces it. A wave's actions
    use the models from up to `maxConcurrency` threads, so every class of a package is set up here, under a lock,
    by the first client of that SDK in the process (about 0.8 s for ASR's and Compute's together); clients are
    built before anything is deserialized. `packages`: the models packages to set up (default: ASR's and Compute's).
    """
    with _models_ready:
        for package in packages:
            if package in _prepared:
                continue
            for value in vars(importlib.import_module(package)).values():
                if isinstance(value, type) and hasattr(value, "_calculated"):  # a generated model class
                    value.__new__(value)  # type: ignore[call-overload]  # its fields are set up in `Model.__new__`
            _prepared.add(package)


def site_recovery_client(
    subscription_id: str | None = None,
    *,
    credential: TokenCredential | None = None,
    polling_interval: float | None = None,
    pool_size: int | None = None,
) -> SiteRecoveryManagementClient:
    """A new ASR client (API `ASR_API_VERSION`) for the configured cloud or endpoint, with `AsrRetryPolicy`.

    `polling_interval` is azure-core's wait between LRO polls when the server sends no `Retry-After`.
    `pool_size`: keep that many HTTP connections, for a client that `pool_size` threads share (one wave's
    actions); requests' default of 10 would open and discard a connection per request beyond that.
    """
    return _client(
        SiteRecoveryManagementClient, _MODEL_PACKAGES[0], subscription_id, credential, polling_interval, pool_size
    )


def async_compute_client(
    subscription_id: str | None = None,
    *,
    credential: AsyncTokenCredential,
    polling_interval: float | None = None,
    pool_size: int = 10,
) -> AsyncComputeManagementClient:
    """A new async Compute client (aiohttp), with the same settings, retries and timeouts as the other clients.

    For many VMs at once on one event loop (the post-migration prep of a wave): a thread per VM with the sync
    client spent 3.9 ms of CPU per request, this spends 1.7 (measured: 200 VMs, 1,650 requests), and the plugin's
    GIL makes CPU the bound. Build and close it inside a coroutine (aiohttp binds its session to the running loop),
    which a provider method runs with `run_on_own_loop`. `credential` is `default_async_credential(load_settings())`
    or a test's, closed by its caller. `pool_size`: connections to keep, one per VM handled at once.
    """
    prepare_models((_MODEL_PACKAGES[1],))
    settings = load_settings()
    options = _client_options(
        settings, credential, polling_interval, retry=AsyncAsrRetryPolicy, loopback=AsyncLoopbackBearerTokenPolicy
    )
    # As `_pooled_transport` does for requests: the proxy is resolved once for the ARM endpoint, not per request.
    options["proxies"] = requests.utils.get_environ_proxies(settings.endpoint)
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=max(10, pool_size)),
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,  # azure-core's transport decompresses itself, as its own sessions are set up
        trust_env=False,
    )
    options["transport"] = AioHttpTransport(session=session, session_owner=True, use_env_settings=False)
    return AsyncComputeManagementClient(credential, resolve_subscription_id(subscription_id), **options)


def run_on_own_loop(coroutine: Coroutine[Any, Any, _Done]) -> _Done:
    """Run `coroutine` to its end on a new event loop, closed after, that never becomes the thread's current loop.

    Not `asyncio.run`: that leaves the calling thread without a current loop, and a Pulumi program run in the same
    thread (the mock engine's tests) needs its own. The dynamic-provider server's workers have none of their own; it
    serializes every answer the same way, on a new loop per call (`pulumi/dynamic/__main__.py`).
    """
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def recovery_services_client(
    subscription_id: str | None = None, *, credential: TokenCredential | None = None
) -> RecoveryServicesClient:
    """A new Recovery Services client (the vault itself: its certificates and extended info), with the same
    retries and timeouts."""
    return _client(
        RecoveryServicesClient, "azure.mgmt.recoveryservices.models", subscription_id, credential, None, None
    )


_Client = TypeVar("_Client", SiteRecoveryManagementClient, RecoveryServicesClient)


def _client(
    client_class: type[_Client],
    models_package: str,
    subscription_id: str | None,
    credential: TokenCredential | None,
    polling_interval: float | None,
    pool_size: int | None,
) -> _Client:
    """The one way a client is built: its SDK's models (`models_package`) set up first, then settings, credential
    and options."""
    prepare_models((models_package,))
    settings = load_settings()
    credential = credential or default_credential(settings)
    options = _client_options(
        settings, credential, polling_interval, retry=AsrRetryPolicy, loopback=LoopbackBearerTokenPolicy
    )
    if pool_size is not None:
        options["transport"] = _pooled_transport(pool_size, settings.endpoint)
    return client_class(credential, resolve_subscription_id(subscription_id), **options)


def _pooled_transport(pool_size: int, endpoint: str) -> RequestsTransport:
    """A transport for `pool_size` threads. The proxy settings (`HTTPS_PROXY`, `NO_PROXY`, ...) are resolved once
    for the ARM endpoint, every request goes there: requests would otherwise scan the whole environment on every
    request, which was a fifth of a 200-machine wave's client time."""
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=max(10, pool_size))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.proxies = requests.utils.get_environ_proxies(endpoint)
    session.trust_env = False
    return RequestsTransport(session=session, session_owner=True, use_env_settings=False)


class LoopbackBearerTokenPolicy(ARMChallengeAuthenticationPolicy):
    """Bearer-token auth that lets a request go over plain http, and only to a loopback host.

    azure-core refuses to send a token over http, even to loopback, unless the call carries `enforce_https=False`.
    This policy sets that option per request, after checking that request's own URL host is
    127.0.0.0/8, ::1 or localhost, so a token can never leave the machine unencrypted, not even
    through a `nextLink` or polling URL that points elsewhere.
    """

    def on_request(self, request: PipelineRequest[Any]) -> None:
        _allow_http_to_loopback(request)
        super().on_request(request)


class AsyncLoopbackBearerTokenPolicy(AsyncARMChallengeAuthenticationPolicy):
    """`LoopbackBearerTokenPolicy` for the async clients."""

    async def on_request(self, request: PipelineRequest[Any]) -> None:
        _allow_http_to_loopback(request)
        await super().on_request(request)


def _allow_http_to_loopback(request: PipelineRequest[Any]) -> None:
    if is_loopback_host(urlsplit(request.http_request.url).hostname):
        # enforce_https=False only for a loopback host (127.0.0.0/8, ::1, localhost): see LoopbackBearerTokenPolicy.
        request.context.options["enforce_https"] = False


def _client_options(
    settings: ArmSettings,
    credential: TokenCredential | AsyncTokenCredential,
    polling_interval: float | None,
    *,
    retry: type[AsrRetryPolicy | AsyncAsrRetryPolicy],
    loopback: type[LoopbackBearerTokenPolicy | AsyncLoopbackBearerTokenPolicy],
) -> dict[str, Any]:
    """What every client gets, sync or async (`retry` and `loopback` are that kind's policies): the endpoint, cloud,
    token scope, timeouts and retries, and for a plain-http endpoint (load_settings accepts it for a loopback host
    only) the authentication that allows it."""
    options: dict[str, Any] = {
        "base_url": settings.endpoint,
        "cloud_setting": settings.cloud,
        "credential_scopes": list(settings.credential_scopes),
        "retry_policy": retry(
            total=settings.retry_total,
            backoff=settings.retry_backoff,
            backoff_max=settings.retry_backoff_max,
            retry_after_max=settings.retry_backoff_max,
        ),
        "connection_timeout": settings.http_timeout,
        "read_timeout": settings.http_timeout,
    }
    if polling_interval is not None:
        options["polling_interval"] = polling_interval
    if urlsplit(settings.endpoint).scheme == "http":
        options["authentication_policy"] = loopback(credential, *settings.credential_scopes)  # type: ignore[arg-type]
    return options


def _cloud_name(value: str | None) -> str:
    if not value:
        return "AzureCloud"
    for name in CLOUDS:
        if name.lower() == value.lower():
            return name
    raise AsrSettingsError("AZURE_CLOUD", value, f"must be one of {', '.join(CLOUDS)}")


def _endpoint(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise AsrSettingsError(
            "ASR_ARM_ENDPOINT", value, "must be an absolute https URL such as https://management.azure.com"
        )
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise AsrSettingsError(
            "ASR_ARM_ENDPOINT", value, "may use plain http only for a loopback host (127.0.0.0/8, ::1, localhost)"
        )
    return value.rstrip("/")

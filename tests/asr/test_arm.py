"""The client factories: settings from the environment, clouds, endpoint override, loopback-only http."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ResourceNotFoundError, ServiceRequestError
from azure.core.rest import HttpRequest

from components.asr import arm
from components.asr.arm import AsrSettingsError, load_settings, resolve_subscription_id
from tests.fake_arm.credential import StaticTokenCredential
from tests.fake_arm.fixtures import arm_env_fixture, fake_arm_fixture  # noqa: F401
from tests.fake_arm.server import SUBSCRIPTION, TOKEN, FakeArm

VAULT_PATH = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-wave1/providers/Microsoft.RecoveryServices/vaults/vault1"


@pytest.mark.parametrize(
    ("cloud", "endpoint", "scope", "authority"),
    [
        (None, "https://management.azure.com", "https://management.azure.com/.default", "login.microsoftonline.com"),
        (
            "AzureUSGovernment",
            "https://management.usgovcloudapi.net",
            "https://management.core.usgovcloudapi.net/.default",
            "login.microsoftonline.us",
        ),
        (
            "azurechinacloud",
            "https://management.chinacloudapi.cn",
            "https://management.chinacloudapi.cn/.default",
            "login.chinacloudapi.cn",
        ),
    ],
)
def test_cloud_selects_endpoint_scope_and_authority(
    cloud: str | None, endpoint: str, scope: str, authority: str
) -> None:
    settings = load_settings({} if cloud is None else {"AZURE_CLOUD": cloud})
    assert (settings.endpoint, settings.credential_scopes, settings.authority) == (endpoint, (scope,), authority)


def test_endpoint_override_keeps_the_clouds_token_scope() -> None:
    settings = load_settings({"AZURE_CLOUD": "AzureUSGovernment", "ASR_ARM_ENDPOINT": "https://arm.example.test/"})
    assert settings.endpoint == "https://arm.example.test"
    assert settings.credential_scopes == ("https://management.core.usgovcloudapi.net/.default",)


def test_authority_host_from_environment_wins() -> None:
    settings = load_settings({"AZURE_CLOUD": "AzureChinaCloud", "AZURE_AUTHORITY_HOST": "https://login.example.test"})
    assert settings.authority == "https://login.example.test"


def test_unknown_cloud_names_variable_value_and_choices() -> None:
    with pytest.raises(AsrSettingsError) as error:
        load_settings({"AZURE_CLOUD": "AzureGermanCloud"})
    assert str(error.value) == (
        "AZURE_CLOUD: 'AzureGermanCloud' must be one of AzureCloud, AzureUSGovernment, AzureChinaCloud"
    )


@pytest.mark.parametrize(
    "endpoint",
    ["http://127.0.0.1:8080", "http://127.9.9.9", "http://[::1]:9000", "http://localhost:1", "http://LOCALHOST"],
)
def test_plain_http_is_accepted_for_loopback_hosts(endpoint: str) -> None:
    assert load_settings({"ASR_ARM_ENDPOINT": endpoint}).endpoint == endpoint


@pytest.mark.parametrize(
    "endpoint", ["http://10.0.0.5", "http://management.azure.com", "http://127.0.0.1.nip.io", "http://[::ffff:8.8.8.8]"]
)
def test_plain_http_is_refused_for_other_hosts(endpoint: str) -> None:
    with pytest.raises(AsrSettingsError) as error:
        load_settings({"ASR_ARM_ENDPOINT": endpoint})
    assert str(error.value) == (
        f"ASR_ARM_ENDPOINT: {endpoint!r} may use plain http only for a loopback host (127.0.0.0/8, ::1, localhost)"
    )


@pytest.mark.parametrize("endpoint", ["management.azure.com", "ftp://127.0.0.1", "https://"])
def test_endpoint_must_be_an_absolute_url(endpoint: str) -> None:
    with pytest.raises(AsrSettingsError) as error:
        load_settings({"ASR_ARM_ENDPOINT": endpoint})
    assert str(error.value) == (
        f"ASR_ARM_ENDPOINT: {endpoint!r} must be an absolute https URL such as https://management.azure.com"
    )


@pytest.mark.parametrize(
    ("variable", "value", "rule"),
    [
        ("ASR_JOB_TIMEOUT_SECONDS", "two hours", "must be a positive number of seconds"),
        ("ASR_JOB_POLL_SECONDS", "0", "must be a positive number of seconds"),
        ("ASR_HTTP_TIMEOUT_SECONDS", "-5", "must be a positive number of seconds"),
        ("ASR_RETRY_BACKOFF_SECONDS", "nan", "must be a positive number of seconds"),
        ("ASR_RETRY_TOTAL", "-1", "must be a whole number from 0 to 100"),
        ("ASR_RETRY_TOTAL", "1000", "must be a whole number from 0 to 100"),
    ],
)
def test_bad_numbers_name_variable_value_and_rule(variable: str, value: str, rule: str) -> None:
    with pytest.raises(AsrSettingsError) as error:
        load_settings({variable: value})
    assert str(error.value) == f"{variable}: {value!r} {rule}"


def test_timeouts_and_retries_come_from_the_environment() -> None:
    settings = load_settings(
        {
            "ASR_JOB_TIMEOUT_SECONDS": "600",
            "ASR_JOB_POLL_SECONDS": "10",
            "ASR_HTTP_TIMEOUT_SECONDS": "15",
            "ASR_RETRY_TOTAL": "2",
            "ASR_RETRY_BACKOFF_SECONDS": "0.5",
            "ASR_RETRY_BACKOFF_MAX_SECONDS": "8",
        }
    )
    assert (
        settings.job_timeout,
        settings.job_poll_interval,
        settings.http_timeout,
        settings.retry_total,
        settings.retry_backoff,
        settings.retry_backoff_max,
    ) == (600, 10, 15, 2, 0.5, 8)


def test_subscription_explicit_then_azure_then_arm_variable() -> None:
    env = {"AZURE_SUBSCRIPTION_ID": "from-azure", "ARM_SUBSCRIPTION_ID": "from-arm"}
    assert resolve_subscription_id("explicit", env) == "explicit"
    assert resolve_subscription_id(None, env) == "from-azure"
    assert resolve_subscription_id(None, {"ARM_SUBSCRIPTION_ID": "from-arm"}) == "from-arm"
    with pytest.raises(AsrSettingsError, match=r"AZURE_SUBSCRIPTION_ID: \(missing\) is required"):
        resolve_subscription_id(None, {})


def test_settings_are_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASR_JOB_TIMEOUT_SECONDS", "100")
    assert load_settings().job_timeout == 100
    monkeypatch.setenv("ASR_JOB_TIMEOUT_SECONDS", "200")
    assert load_settings().job_timeout == 200


def test_site_recovery_client_calls_the_endpoint_with_token_and_api_version(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    fake_arm.add_fabric("appliance-fabric")
    with arm.site_recovery_client() as client:
        names = [fabric.name for fabric in client.replication_fabrics.list("rg-wave1", "vault1")]
    assert names == ["appliance-fabric"]
    [request] = fake_arm.requests
    assert (request.method, request.path, request.query) == (
        "GET",
        f"{VAULT_PATH}/replicationFabrics",
        {"api-version": "2025-08-01"},
    )
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert arm_env.scopes == [("https://management.azure.com/.default",)]


def test_explicit_credential_and_subscription_are_used(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    other = StaticTokenCredential()
    with (
        arm.site_recovery_client("11111111-2222-3333-4444-555555555555", credential=other) as client,
        pytest.raises(ResourceNotFoundError),
    ):
        client.replication_fabrics.get("rg-wave1", "vault1", "missing")
    assert fake_arm.requests[0].path.startswith("/subscriptions/11111111-2222-3333-4444-555555555555/")
    assert len(other.scopes) == 1
    assert arm_env.scopes == []


def test_token_is_never_sent_over_http_to_a_non_loopback_host(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    # The client is configured for the loopback fake; a URL elsewhere (e.g. a nextLink) must not get the token.
    with arm.site_recovery_client() as client, pytest.raises(ServiceRequestError, match="non-TLS"):
        client.send_request(HttpRequest("GET", "http://192.0.2.1/subscriptions"))
    assert arm_env.scopes == []
    assert fake_arm.requests == []

"""A fake ARM / Azure Site Recovery endpoint on 127.0.0.1, for tests only.

It serves the part of the ASR REST API (2025-08-01) this project calls, keeps state (vault settings,
fabrics, protection containers, protected items, recovery points, recovery plans, policies, container
mappings and jobs that progress over time), logs every request for the tests to assert on, and injects
faults: 429 with or without `Retry-After`, 500/503, dropped connections (before or after the request
took effect), and jobs that fail, get cancelled or suspend.

Each handler names the official example in azure-rest-api-specs
`specification/recoveryservicessiterecovery/RecoveryServicesSiteRecovery.Management/examples/2025-08-01/`
its request and response are modelled on. Where the examples say nothing the fake's choice is marked
"fake's assumption".

Actions answer 202 with `Azure-AsyncOperation: .../replicationOperationStatus/{id}` and `Retry-After`, as
the examples do. `action_headers` chooses what the 202 carries:
  "async"          Azure-AsyncOperation whose last segment is the job name (default)
  "location"       Location `.../operationresults/{job}` plus an Azure-AsyncOperation with an unrelated id
  "async-mismatch" only an Azure-AsyncOperation with an unrelated id (no job of that name)
  "async-unrelated" an Azure-AsyncOperation naming another, existing job (a recovery plan delete), as in the
                   official ReplicationProtectedItems_TestFailover.json
  "none"           no headers at all: the job is only visible as the item's `currentScenario.jobId`

It also serves a managed-identity token endpoint, `GET /msi/token` (App Service's protocol: azure-identity's
`ManagedIdentityCredential` uses it when `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` are set), so that a dynamic
provider running in its own plugin process gets the fake's token through `DefaultAzureCredential` unchanged.

Not served: `replicationOperationStatus` (the client layer follows ASR jobs, not ARM operation status) and
anything outside Microsoft.RecoveryServices, which answers 404 `ResourceNotFound` (enough to check that a
Compute client reaches the endpoint with its token). Requests need `Authorization: Bearer <TOKEN>` and,
under Microsoft.RecoveryServices, `api-version=2025-08-01` (under Microsoft.OffAzure, `2023-06-06`).
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlencode, urlsplit

from components import limits

API_VERSION = "2025-08-01"
VAULT_API_VERSION = "2026-11-01"  # Microsoft.RecoveryServices' own vault APIs (azure-mgmt-recoveryservices 4.3.0)
VAULT_RESOURCE_ID = 4_243_998_110_128_601_000  # the vault's numeric id that certificate uploads answer with
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SUBSCRIPTION = "c183865e-6077-46f2-a3b1-deb0f4f4650a"
RESOURCE_GROUP = "rg-wave1"
VAULT = "vault1"
TOKEN = "fake-arm-test-token"
IDENTITY_HEADER = "fake-identity-header"

_VAULT = r"/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/providers/microsoft\.recoveryservices/vaults/(?P<vault>[^/]+)"
_CONTAINER = _VAULT + r"/replicationfabrics/(?P<fabric>[^/]+)/replicationprotectioncontainers/(?P<container>[^/]+)"
_ITEM = _CONTAINER + r"/replicationprotecteditems/(?P<item>[^/]+)"
_PLAN = _VAULT + r"/replicationrecoveryplans/(?P<plan>[^/]+)"
_SITE = r"/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.offazure/serversites/[^/]+"
OFFAZURE_API_VERSION = "2023-06-06"

NO_SCENARIO_START = "1753-01-01T01:01:01Z"  # ASR's placeholder, from ReplicationProtectedItems_Get.json
IDLE_ALLOWED = ["PlannedFailover", "UnplannedFailover", "DisableProtection", "TestFailover"]


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    at: float  # time.monotonic() when the request arrived


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    times: int
    status: int = 0  # 0: drop the connection
    retry_after: str | None = None
    after_effect: bool = False  # drop (or answer `status`) only after the request took effect
    malformed: bool = False  # answer 200 with a body that is not JSON, after the request took effect
    skip: int = 0  # let this many matching requests through first


@dataclass
class Job:
    name: str
    scenario: str
    friendly_name: str
    target_path: str  # lower-case ARM path of the item or plan, "" for none
    target_name: str  # targetObjectName: the item's or plan's friendly name
    created: float
    target_id: str = ""
    start_time: str = field(
        default_factory=lambda: _now_iso()
    )  # targetObjectId: the item's or plan's name (ASR's own id of it)
    final_state: str = "Succeeded"
    final_description: str = "Completed"
    errors: list[dict[str, Any]] = field(default_factory=list)
    vault_id: str = ""
    effect: Callable[[], None] | None = None
    effect_applied: bool = False
    resumed_at: float | None = None


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class FakeArm:
    """State, fault injection and the request log; `start()` serves it on 127.0.0.1 with an ephemeral port."""

    def __init__(self, *, job_step_seconds: float = 0.05, retry_after: str | None = "0.05") -> None:
        """`job_step_seconds`: how long a job stays NotStarted, then InProgress. `retry_after`: the
        `Retry-After` of job GETs (ASR sends 30; tests use a fraction to stay fast; None: no header)."""
        self.job_step_seconds = job_step_seconds
        self.retry_after = retry_after
        self.action_headers = "async"
        self.jobs_page_size: int | None = None  # set: the job list answers in pages of this size, with `nextLink`
        self.require_token = True
        self.requests: list[LoggedRequest] = []
        self.resources: dict[str, dict[str, Any]] = {}  # lower-case ARM path -> resource JSON
        self.jobs: dict[str, Job] = {}  # lower-case vault path + job name -> job
        self._faults: list[Fault] = []
        self._next_job_end: list[tuple[str, str, list[dict[str, Any]]]] = []
        self._lock = threading.RLock()
        self.standin: Callable[[str, Any], dict[str, Any]] | None = None
        """What answers the stand-in provider plugins of the real-CLI tests (tests/cli/world.py), if anything."""
        self._server: ThreadingHTTPServer | None = None
        self._compiled: list[tuple[str, re.Pattern[str], Any]] | None = None
        self._query: dict[str, str] = {}  # the query of the request being routed (under the lock)

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: a wave's hundreds of clients reuse their connections
            disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                fake._handle(self)

            do_PUT = do_POST = do_DELETE = do_PATCH = do_GET  # noqa: N815

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ---- seeding state ---------------------------------------------------------------------------

    def vault_path(self, rg: str = RESOURCE_GROUP, vault: str = VAULT, sub: str = SUBSCRIPTION) -> str:
        return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{vault}"

    def put_resource(self, path: str, properties: dict[str, Any]) -> dict[str, Any]:
        """Store a resource at an ARM path (any casing) and return its JSON."""
        segments = path.strip("/").split("/")
        type_segments = [segments[i] for i in range(8, len(segments) - 1, 2)]
        resource = {
            "name": segments[-1],
            "type": "/".join(["Microsoft.RecoveryServices/vaults", *type_segments]),
            "id": "/Subscriptions/" + "/".join(segments[1:]),  # ASR answers with "/Subscriptions/..."
            "properties": properties,
        }
        with self._lock:
            self.resources[path.lower().rstrip("/")] = resource
        return resource

    def add_vault_setting(self, provider_type: str | None, rg: str = RESOURCE_GROUP, vault: str = VAULT) -> None:
        properties = {} if provider_type is None else {"vmwareToAzureProviderType": provider_type}
        self.put_resource(f"{self.vault_path(rg, vault)}/replicationVaultSettings/default", properties)

    def add_fabric(self, fabric: str, instance_type: str = "InMageRcm") -> None:
        """A registered fabric (it appears when the appliance / configuration server registers)."""
        self.put_resource(
            f"{self.vault_path()}/replicationFabrics/{fabric}",
            {"friendlyName": fabric, "customDetails": {"instanceType": instance_type}, "health": "Normal"},
        )

    def add_container(self, fabric: str, container: str, vault_path: str | None = None) -> None:
        self.put_resource(
            f"{vault_path or self.vault_path()}/replicationFabrics/{fabric}/replicationProtectionContainers/{container}",
            {"fabricFriendlyName": fabric, "friendlyName": container, "pairingStatus": "Paired"},
        )

    def register_appliance(
        self, fabric: str, container: str, architecture: str, ip: str, *, site: str = "site1", vault_path: str = ""
    ) -> dict[str, Any]:
        """The fabric and protection container a registration creates, with the appliance's details.

        Shapes: `InMageRcmFabricSpecificDetails` (modernized) and `VMwareDetails` (classic) of the 2025-08-01
        API (fake's assumption for the values: the examples show only a HyperVSite fabric)."""
        if architecture == "modernized":
            details: dict[str, Any] = {
                "instanceType": "InMageRcm",
                "physicalSiteId": self.site_path(site),
                "vmwareSiteId": self.site_path(site).replace("ServerSites", "VMwareSites"),
                "processServers": [{"id": f"ps-{fabric}", "name": "appliance", "ipAddresses": [ip]}],
            }
        else:
            details = {
                "instanceType": "VMware",
                "ipAddress": ip,
                "hostName": "config-server",
                "processServers": [{"id": f"ps-{fabric}", "friendlyName": "config-server", "ipAddress": ip}],
                "masterTargetServers": [{"id": f"mt-{fabric}", "ipAddress": ip, "name": "config-server"}],
                "runAsAccounts": [{"accountId": "1", "accountName": "ec2-admin"}],
            }
        vault_path = vault_path or self.vault_path()
        stored = self.put_resource(
            f"{vault_path}/replicationFabrics/{fabric}",
            {"friendlyName": fabric, "customDetails": details, "health": "Normal"},
        )
        self.add_container(fabric, container, vault_path)
        return stored

    def join_fabric(self, fabric: str, ip: str, *, vault_path: str = "") -> None:
        """Another modernized appliance registers with the vault: it joins the vault's one fabric as a process server
        (the fake's reading of `InMageRcmFabricSpecificDetails.processServers`, a list, and of the portal's "Switch
        appliance", which moves machines between appliances of one vault)."""
        path = f"{vault_path or self.vault_path()}/replicationFabrics/{fabric}"
        fabric_body = self.resource(path)
        assert fabric_body is not None, f"no fabric {fabric} to join"
        servers = fabric_body["properties"]["customDetails"]["processServers"]
        if any(ip in server.get("ipAddresses", []) for server in servers):
            return
        servers.append(
            {"id": f"ps-{fabric}-{len(servers) + 1}", "name": f"appliance-{len(servers) + 1}", "ipAddresses": [ip]}
        )
        self.put_resource(path, fabric_body["properties"])

    def site_path(self, site: str = "site1") -> str:
        return f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.OffAzure/ServerSites/{site}"

    def add_site_machine(
        self, machine: str, ip: str, display_name: str, *, site: str = "site1", deleted: bool = False
    ) -> str:
        """A machine the appliance discovered into its physical site (Microsoft.OffAzure); returns its id."""
        machine_id = f"{self.site_path(site)}/machines/{machine}"
        with self._lock:
            self.resources[machine_id.lower()] = {
                "id": machine_id,
                "name": machine,
                "type": "Microsoft.OffAzure/ServerSites/machines",
                "properties": {
                    "displayName": display_name,
                    "isDeleted": deleted,
                    "networkAdapters": [{"nicId": "nic-1", "ipAddressList": [ip]}],
                },
            }
        return machine_id

    def item_path(self, fabric: str, container: str, item: str) -> str:
        return (
            f"{self.vault_path()}/replicationFabrics/{fabric}/replicationProtectionContainers/{container}"
            f"/replicationProtectedItems/{item}"
        )

    def add_protected_item(self, fabric: str, container: str, item: str, **properties: Any) -> dict[str, Any]:
        """A protected item in the idle, protected state of ReplicationProtectedItems_Get.json."""
        defaults: dict[str, Any] = {
            "friendlyName": item,
            "activeLocation": "Primary",
            "allowedOperations": list(IDLE_ALLOWED),
            "currentScenario": self._no_scenario(),
            "protectionState": "Protected",
            "protectionStateDescription": "Protected",
            "replicationHealth": "Normal",
            "testFailoverState": "None",
            "testFailoverStateDescription": "None",
            "providerSpecificDetails": {
                "instanceType": "InMageRcm",
                "vmNics": [{"nicId": f"{item}-nic0", "isPrimaryNic": "true"}],
            },
        }
        return self.put_resource(self.item_path(fabric, container, item), {**defaults, **properties})

    def add_job(
        self,
        target_name: str,
        scenario: str,
        friendly_name: str,
        *,
        state: str = "Succeeded",
        running: bool = False,
        errors: list[dict[str, Any]] | None = None,
        rg: str = RESOURCE_GROUP,
        vault: str = VAULT,
    ) -> None:
        """A job in the vault's history (a running one never ends), for views that read jobs without starting any."""
        path = self.vault_path(rg, vault)
        job = Job(
            name=str(uuid.uuid4()),
            scenario=scenario,
            friendly_name=friendly_name,
            target_path="",
            target_name=target_name,
            created=time.monotonic() + (10**6 if running else -(10**6)),  # NotStarted for ever, or long over
            vault_id=path,
            final_state=state,
            final_description=state,
            errors=errors or [],
        )
        self.jobs[f"{path.lower()}/{job.name}"] = job

    def add_recovery_point(self, fabric: str, container: str, item: str, name: str, when: str, kind: str) -> None:
        self.put_resource(
            f"{self.item_path(fabric, container, item)}/recoveryPoints/{name}",
            {"recoveryPointTime": when, "recoveryPointType": kind},
        )

    def resource(self, path: str) -> dict[str, Any] | None:
        with self._lock:
            self._advance()
            return self.resources.get(path.lower().rstrip("/"))

    # ---- fault injection -------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        retry_after: str | None = None,
        after_effect: bool = False,
    ) -> None:
        """Answer the next `times` matching requests with `status` (429, 500, 503, ...); `after_effect`: the
        request takes effect first (a gateway's 5xx after the service acted)."""
        self._faults.append(Fault(method, re.compile(path_regex, re.I), times, status, retry_after, after_effect))

    def malform_next(self, method: str, path_regex: str, *, times: int = 1, skip: int = 0) -> None:
        """After `skip` matching requests, the next `times` take effect and are answered 200 with a body that is
        not JSON."""
        self._faults.append(Fault(method, re.compile(path_regex, re.I), times, 0, None, True, True, skip))

    def drop_next(self, method: str, path_regex: str, *, times: int = 1, after_effect: bool = False) -> None:
        """Close the connection without an answer; `after_effect`: only after the request took effect."""
        self._faults.append(Fault(method, re.compile(path_regex, re.I), times, 0, None, after_effect))

    def next_job_ends(self, state: str, description: str = "", errors: list[dict[str, Any]] | None = None) -> None:
        """The next job created ends in `state` (Failed, Cancelled, Suspended) instead of Succeeded."""
        self._next_job_end.append((state, description or state, errors or []))

    # ---- request log helpers ---------------------------------------------------------------------

    def calls(self, *, skip_reads: bool = False) -> list[tuple[str, str]]:
        """(method, path) of every request so far, optionally without GETs."""
        return [(r.method, r.path) for r in self.requests if not (skip_reads and r.method == "GET")]

    # ---- jobs ------------------------------------------------------------------------------------

    def _no_scenario(self) -> dict[str, Any]:
        return {
            "jobId": f"/Subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/"
            f"Microsoft.RecoveryServices/vaults/{VAULT}/replicationJobs/None",
            "scenarioName": "None",
            "startTime": NO_SCENARIO_START,
        }

    def _new_job(
        self, match: re.Match[str], scenario: str, friendly: str, target_path: str, effect: Callable[[], None] | None
    ) -> Job:
        target = self.resources.get(target_path)
        job = Job(
            name=str(uuid.uuid4()),
            scenario=scenario,
            friendly_name=friendly,
            target_path=target_path,
            target_name=str((target or {}).get("properties", {}).get("friendlyName") or (target or {}).get("name", "")),
            target_id=str((target or {}).get("name", "")),
            created=time.monotonic(),
            vault_id=_vault_id(match),
            effect=effect,
        )
        if self._next_job_end:
            job.final_state, job.final_description, job.errors = self._next_job_end.pop(0)
        self.jobs[f"{_vault_key(match)}/{job.name}"] = job
        if target is not None:
            target["properties"]["currentScenario"] = {
                "jobId": f"{job.vault_id}/replicationJobs/{job.name}",
                "scenarioName": scenario,
                "startTime": _now_iso(),
            }
        return job

    def _job_state(self, job: Job) -> tuple[str, str]:
        started = job.resumed_at if job.resumed_at is not None else job.created
        elapsed = time.monotonic() - started
        if job.resumed_at is None and elapsed < self.job_step_seconds:
            return "NotStarted", "NotStarted"
        if elapsed < 2 * self.job_step_seconds:
            return "InProgress", "InProgress"
        if job.resumed_at is not None:
            return "Succeeded", "Completed"
        return job.final_state, job.final_description

    def _advance(self) -> None:
        """Apply the effects of jobs that have ended since the last request."""
        for job in self.jobs.values():
            if job.effect_applied:
                continue
            state, _ = self._job_state(job)
            if state in ("NotStarted", "InProgress"):
                continue
            if state == "Suspended":
                continue
            job.effect_applied = True
            if state == "Succeeded" and job.effect is not None:
                job.effect()
            target = self.resources.get(job.target_path)
            if target is not None:
                target["properties"]["currentScenario"] = self._no_scenario()

    def _job_json(self, job: Job) -> dict[str, Any]:
        # Modelled on ReplicationJobs_Get.json.
        state, description = self._job_state(job)
        allowed = ["Cancel", "Resume"] if state == "Suspended" else (["Cancel"] if state == "InProgress" else [])
        return {
            "name": job.name,
            "id": f"{job.vault_id}/replicationJobs/{job.name}",
            "type": "Microsoft.RecoveryServices/vaults/replicationJobs",
            "properties": {
                "activityId": f"{uuid.uuid4()} ActivityId: {uuid.uuid4()}",
                "allowedActions": allowed,
                "customDetails": {"instanceType": "AsrJobDetails"},
                "errors": job.errors if state not in ("NotStarted", "InProgress") else [],
                "friendlyName": job.friendly_name,
                "scenarioName": job.scenario,
                "startTime": job.start_time,
                "state": state,
                "stateDescription": description,
                "targetInstanceType": "ProtectionEntity",
                "targetObjectId": job.target_id,
                "targetObjectName": job.target_name,
                "tasks": [],
            },
        }

    # ---- HTTP ------------------------------------------------------------------------------------

    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(http.path)
        length = int(http.headers.get("Content-Length") or 0)
        raw = http.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        if parts.path == "/msi/token":  # not logged: tests count what the client layer sends to ARM
            _send(http, *self._identity_token(http.headers.get("X-IDENTITY-HEADER")))
            return
        if parts.path.startswith("/_standin/"):  # not ARM: the stand-in provider plugins' channel (tests/cli)
            op = parts.path.rsplit("/", 1)[-1]
            _send(http, 200, self.standin(op, body) if self.standin else {"error": "no stand-in world"}, {})
            return
        with self._lock:
            self.requests.append(
                LoggedRequest(http.command, parts.path, query, body, dict(http.headers.items()), time.monotonic())
            )
            fault = self._take_fault(http.command, parts.path)
            headers: dict[str, str] = {}
            if fault is not None and not fault.after_effect:
                self._send_fault(http, fault)
                return
            if self.require_token and http.headers.get("Authorization") != f"Bearer {TOKEN}":
                status, payload, headers = 401, _error("AuthenticationFailed", "missing or wrong bearer token"), {}
            elif _api_version_for(parts.path) not in (None, query.get("api-version")):
                status, payload, headers = (
                    400,
                    _error("InvalidApiVersionParameter", f"api-version {query.get('api-version')!r}"),
                    {},
                )
            else:
                self._advance()
                self._query = query
                status, payload, headers = self._route(http.command, parts.path, body)
            if fault is not None:  # after_effect: the request took effect, the answer is lost
                self._send_fault(http, fault)
                return
        _send(http, status, payload, headers)

    def _identity_token(self, header: str | None) -> tuple[int, Any, dict[str, str]]:
        """App Service managed identity (api-version 2019-08-01): the token every other request needs."""
        if header != IDENTITY_HEADER:
            return 401, _error("Unauthorized", "missing or wrong X-IDENTITY-HEADER"), {}
        token = {"access_token": TOKEN, "expires_on": str(int(time.time()) + 3600), "token_type": "Bearer"}
        return 200, {**token, "resource": "https://management.azure.com"}, {}

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.times > 0 and fault.method == method and fault.path.search(path):
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.times -= 1
                return fault
        return None

    def _send_fault(self, http: BaseHTTPRequestHandler, fault: Fault) -> None:
        if fault.malformed:
            data = b'{"properties": {"state": "InPro'
            http.send_response(200)
            http.send_header("Content-Type", "application/json")
            http.send_header("Content-Length", str(len(data)))
            http.end_headers()
            http.wfile.write(data)
            return
        if fault.status == 0:
            http.close_connection = True
            return  # the socket closes without an answer
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        code = {
            429: "TooManyRequests",
            500: "InternalServerError",
            503: "ServiceUnavailable",
            504: "GatewayTimeout",
        }.get(fault.status, "Error")
        _send(http, fault.status, _error(code, f"injected {fault.status}"), headers)

    def _route(self, method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        if self._compiled is None:  # compiled once: routing is most of the fake's time under a wave's load
            self._compiled = [(m, re.compile(pattern, re.I), handler) for m, pattern, handler in self._routes()]
        for route_method, compiled, handler in self._compiled:
            if route_method != method:
                continue
            match = compiled.fullmatch(path.rstrip("/"))
            if match:
                return handler(match, path.lower().rstrip("/"), body)
        return 404, _error("ResourceNotFound", f"{method} {path} is not served by the fake"), {}

    def _routes(self) -> list[tuple[str, str, Callable[[re.Match[str], str, Any], tuple[int, Any, dict[str, str]]]]]:
        item_action = r"/(?P<action>testFailover|testFailoverCleanup|unplannedFailover|failoverCommit|remove)"
        plan_action = r"/(?P<action>testFailover|testFailoverCleanup|unplannedFailover|failoverCommit)"
        return [
            # ReplicationVaultSetting_Get.json / ReplicationVaultSetting_Create.json
            ("GET", _VAULT + r"/replicationvaultsettings/default", self._get_vault_setting),
            ("PUT", _VAULT + r"/replicationvaultsettings/default", self._put_vault_setting),
            # Microsoft.RecoveryServices examples GETVaultExtendedInfo.json / UpdateVaultExtendedInfo.json: the channel
            # integrity key (404 ResourceExtendedInfoNotFound until one is made, as Az PowerShell expects)
            ("GET", _VAULT + r"/extendedinformation/vaultextendedinfo", self._get_extended_info),
            ("PUT", _VAULT + r"/extendedinformation/vaultextendedinfo", self._put_extended_info),
            # PUTVaultCred.json: a management certificate, answered with the vault's Entra ID details
            ("PUT", _VAULT + r"/certificates/(?P<certificate>[^/]+)", self._put_certificate),
            # ReplicationFabrics_List.json / ReplicationFabrics_Get.json
            ("GET", _VAULT + r"/replicationfabrics", self._list),
            ("GET", _VAULT + r"/replicationfabrics/[^/]+", self._get),
            # ReplicationProtectionContainers_ListByReplicationFabrics.json / ReplicationProtectionContainers_Get.json
            ("GET", _VAULT + r"/replicationfabrics/[^/]+/replicationprotectioncontainers", self._list),
            ("GET", _CONTAINER, self._get),
            # ReplicationProtectionContainers_Create.json / ReplicationProtectionContainers_Delete.json (POST .../remove)
            ("PUT", _CONTAINER, self._create_container),
            ("POST", _CONTAINER + r"/remove", self._remove_container),
            # ReplicationProtectableItems_ListByReplicationProtectionContainers.json
            ("GET", _CONTAINER + r"/replicationprotectableitems", self._list),
            # ReplicationProtectionContainers_DiscoverProtectableItem.json (a job; the item is listed when it ends)
            ("POST", _CONTAINER + r"/discoverprotectableitem", self._discover_protectable_item),
            # Microsoft.OffAzure ServerSites machines list (Servers_ListByServerSiteResource, 2023-06-06)
            ("GET", _SITE + r"/machines", self._list),
            # ReplicationProtectedItems_ListByReplicationProtectionContainers.json / ReplicationProtectedItems_Get.json
            ("GET", _CONTAINER + r"/replicationprotecteditems", self._list),
            ("GET", _ITEM, self._get),
            # ReplicationProtectedItems_Create.json (enable replication: a job, the item appears when it ends)
            ("PUT", _ITEM, self._put_with_job("EnableDr", "Enable replication")),
            # ReplicationProtectedItems_Update.json (the item's target settings; a job, as PowerShell's Set-...Item shows)
            ("PATCH", _ITEM, self._update_item),
            # ReplicationProtectedItems_TestFailover.json, _TestFailoverCleanup.json, _UnplannedFailover.json,
            # _FailoverCommit.json, _Delete.json (POST .../remove: disable protection / complete migration)
            ("POST", _ITEM + item_action, self._item_action),
            # ReplicationProtectedItems_UpdateAppliance.json (the portal's "Switch appliance")
            ("POST", _ITEM + r"/updateAppliance", self._update_appliance),
            # RecoveryPoints_ListByReplicationProtectedItems.json
            ("GET", _ITEM + r"/recoverypoints", self._list),
            # ReplicationPolicies_Get.json / ReplicationPolicies_Create.json
            ("GET", _VAULT + r"/replicationpolicies/[^/]+", self._get),
            (
                "PUT",
                _VAULT + r"/replicationpolicies/[^/]+",
                self._put_with_job("AddProtectionProfile", "Create replication policy"),
            ),
            # ReplicationProtectionContainerMappings_Get.json / ReplicationProtectionContainerMappings_Create.json
            ("GET", _CONTAINER + r"/replicationprotectioncontainermappings/[^/]+", self._get),
            (
                "PUT",
                _CONTAINER + r"/replicationprotectioncontainermappings/[^/]+",
                self._put_with_job("ConfigureProtection", "Associate replication policy"),
            ),
            # ReplicationRecoveryPlans_Get.json / ReplicationRecoveryPlans_Create.json
            ("GET", _PLAN, self._get),
            ("PUT", _PLAN, self._put_plan),
            # ReplicationRecoveryPlans_TestFailover.json, _TestFailoverCleanup.json, _UnplannedFailover.json,
            # _FailoverCommit.json
            ("POST", _PLAN + plan_action, self._plan_action),
            # ReplicationJobs_List.json / ReplicationJobs_Get.json / ReplicationJobs_Resume.json
            ("GET", _VAULT + r"/replicationjobs", self._list_jobs),
            ("GET", _VAULT + r"/replicationjobs/[^/]+", self._get_job),
            ("POST", _VAULT + r"/replicationjobs/[^/]+/resume", self._resume_job),
        ]

    # ---- handlers --------------------------------------------------------------------------------

    def _get(self, _match: re.Match[str], key: str, _body: Any) -> tuple[int, Any, dict[str, str]]:
        resource = self.resources.get(key)
        if resource is None:
            return 404, _error("NotFound", f"{key} was not found"), {}
        return 200, resource, {}

    def _list(self, _match: re.Match[str], key: str, _body: Any) -> tuple[int, Any, dict[str, str]]:
        depth = key.count("/") + 1
        value = [r for k, r in sorted(self.resources.items()) if k.startswith(key + "/") and k.count("/") == depth]
        return 200, {"value": value}, {}

    def _get_vault_setting(self, match: re.Match[str], key: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        if key not in self.resources:  # "a singleton per vault and it is always present by default"
            self.put_resource(match.group(0), {})
        return self._get(match, key, body)

    def _put_vault_setting(self, match: re.Match[str], key: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        properties = dict((body or {}).get("properties") or {})
        current = (self.resources.get(key) or {}).get("properties", {})
        self.put_resource(match.group(0), {**current, **properties})
        return self._get(match, key, body)

    def _get_extended_info(self, _match: re.Match[str], key: str, _body: Any) -> tuple[int, Any, dict[str, str]]:
        resource = self.resources.get(key)
        if resource is None:
            return 404, _error("ResourceExtendedInfoNotFound", "extended info of the vault was not found"), {}
        return 200, resource, {}

    def _put_extended_info(self, match: re.Match[str], key: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        self.put_resource(match.group(0), dict((body or {}).get("properties") or {}))
        return self._get(match, key, body)

    def _put_certificate(self, match: re.Match[str], _key: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        raw = ((body or {}).get("properties") or {}).get("certificate")
        if ((body or {}).get("properties") or {}).get("authType") != "AAD" or not raw:
            return 400, _error("BadRequest", "properties.authType AAD and properties.certificate are required"), {}
        vault = match.group("vault")
        return (
            200,
            {
                "id": match.group(0),
                "name": match.group("certificate"),
                "type": "Microsoft.RecoveryServices/vaults/certificates",
                "properties": {
                    "authType": "AzureActiveDirectory",
                    "certificate": raw,
                    "friendlyName": "",
                    "issuer": "CN=Windows Azure Tools",
                    "resourceId": VAULT_RESOURCE_ID,
                    "subject": "CN=Windows Azure Tools",
                    "thumbprint": "fake's assumption: not computed",
                    "validFrom": "2026-12-01T00:00:00+00:00",
                    "validTo": "2026-12-06T00:00:00+00:00",
                    "aadAuthority": "https://login.windows.net",
                    "aadTenantId": TENANT,
                    "servicePrincipalClientId": "3b2fa68d-a091-48c9-95be-88d572e08fb7",
                    "servicePrincipalObjectId": "71b5a4a1-5f5e-4b4e-8b1e-0c1ae4d0c2a4",
                    "azureManagementEndpointAudience": f"https://RecoveryServiceVault/westeurope/{vault}/{VAULT_RESOURCE_ID}",
                },
            },
            {},
        )

    def _put_with_job(
        self, scenario: str, friendly: str
    ) -> Callable[[re.Match[str], str, Any], tuple[int, Any, dict[str, str]]]:
        def handler(match: re.Match[str], key: str, body: Any) -> tuple[int, Any, dict[str, str]]:
            properties = dict((body or {}).get("properties") or {})

            def effect() -> None:
                stored = self.put_resource(match.group(0), properties)
                if "/replicationprotecteditems/" in key:
                    stored["properties"] = {
                        "friendlyName": match.group("item"),
                        "allowedOperations": list(IDLE_ALLOWED),
                        "protectionState": "Protected",
                        "testFailoverState": "None",
                        "currentScenario": self._no_scenario(),
                        **properties,
                    }

            job = self._new_job(match, scenario, friendly, "", effect)
            return 202, None, self._action_headers(match, job)

        return handler

    def _item_effects(self) -> dict[str, tuple[str, str, dict[str, Any] | None]]:
        """Scenario, job name and item changes of each item action (also applied by recovery plan actions)."""
        return {
            # Item states after each action, from the examples' 200 bodies.
            "testfailover": (
                "TestFailover",
                "Test failover",
                {
                    "testFailoverState": "WaitingForCompletion",
                    "testFailoverStateDescription": "Waiting for user input",
                    "protectionStateDescription": "Cleanup test failover pending",
                    "allowedOperations": ["TestFailoverCleanup"],
                    "lastSuccessfulTestFailoverTime": _now_iso(),
                },
            ),
            "testfailovercleanup": (
                "TestFailoverCleanup",
                "Cleanup test failover",
                {
                    "testFailoverState": "None",
                    "testFailoverStateDescription": "None",
                    "protectionStateDescription": "Protected",
                    "allowedOperations": list(IDLE_ALLOWED),
                },
            ),
            "unplannedfailover": (
                "UnplannedFailover",
                "Failover",
                {
                    "activeLocation": "Recovery",
                    "protectionState": "UnplannedFailoverCommitPendingStatesBegin",
                    "protectionStateDescription": "Failover completed",
                    "allowedOperations": ["CompleteMigration", "Commit", "DisableProtection", "ChangePit"],
                    "lastSuccessfulFailoverTime": _now_iso(),
                },
            ),
            # fake's assumption: the examples show no item state after a commit
            "failovercommit": (
                "CommitFailover",
                "Commit",
                {
                    "protectionState": "UnplannedFailoverCommitted",
                    "protectionStateDescription": "Failover committed",
                    "allowedOperations": ["CompleteMigration", "DisableProtection"],
                },
            ),
            "remove": ("DisableDr", "Disable replication", None),  # the item is gone when the job ends
        }

    def _item_action(self, match: re.Match[str], key: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        item_key = key.rsplit("/", 1)[0]
        item = self.resources.get(item_key)
        if item is None:
            return 404, _error("NotFound", f"{item_key} was not found"), {}
        action = match.group("action").lower()
        scenario, friendly, changes = self._item_effects()[action]

        def effect() -> None:
            if changes is None:
                self.resources.pop(item_key, None)
            else:
                item["properties"].update(changes)

        job = self._new_job(match, scenario, friendly, item_key, effect)
        return 202, None, self._action_headers(match, job)

    def _update_appliance(self, match: re.Match[str], key: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        """Move an item to another appliance of its fabric: `targetApplianceId` and `providerSpecificDetails` are
        required (the spec), the item must still replicate to Azure (not failed over: Microsoft's switch article), and
        the target must be one of the fabric's `processServers` (fake's reading of PowerShell's lookup); the item
        names its new process server when the job ends."""
        item_key = key.rsplit("/", 1)[0]
        item = self.resources.get(item_key)
        if item is None:
            return 404, _error("NotFound", f"{item_key} was not found"), {}
        properties = (body or {}).get("properties") or {}
        target = properties.get("targetApplianceId")
        if not target or not (properties.get("providerSpecificDetails") or {}).get("instanceType"):
            return 400, _error("InvalidInput", "targetApplianceId and providerSpecificDetails are required"), {}
        if item["properties"].get("activeLocation") == "Recovery":  # switch-replication-appliance-modernized.md
            return 400, _error("OperationNotAllowed", "only machines replicating to Azure can switch appliance"), {}
        fabric = self.resources.get(item_key.split("/replicationprotectioncontainers/")[0]) or {}
        servers = ((fabric.get("properties") or {}).get("customDetails") or {}).get("processServers") or []
        if target not in {server.get("id") for server in servers}:
            return 400, _error("ApplianceNotFound", f"{target} is not an appliance of the item's fabric"), {}

        def effect() -> None:
            item["properties"].setdefault("providerSpecificDetails", {})["processServerId"] = target

        # Fake's assumption for the scenario name: ASR documents none for this job.
        job = self._new_job(match, "UpdateAppliance", "Switch appliance", item_key, effect)
        return 202, None, self._action_headers(match, job)

    def _update_item(self, match: re.Match[str], key: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        """A primary adapter's target (and test) address and subnet, applied when the UpdateVmProperties job ends:
        `InMageRcmNicInput` onto the InMageRcm `vmNics`, classic `vmNics[].ipConfigs` onto its own."""
        item = self.resources.get(key)
        if item is None:
            return 404, _error("NotFound", f"{key} was not found"), {}
        properties = (body or {}).get("properties") or {}
        details = item["properties"].setdefault("providerSpecificDetails", {})

        def effect() -> None:
            nics = {n.get("nicId"): n for n in details.get("vmNics") or []}
            for wanted in (properties.get("providerSpecificDetails") or {}).get("vmNics") or []:
                nic = nics.get(wanted.get("nicId"))
                if nic is not None:
                    nic.update(targetIPAddress=wanted.get("targetStaticIPAddress"), targetSubnetName=wanted.get(
                        "targetSubnetName"), testIPAddress=wanted.get("testStaticIPAddress"))  # fmt: skip
            for wanted in properties.get("vmNics") or []:
                nic = nics.get(wanted.get("nicId"))
                configs = {c.get("name"): c for c in (nic or {}).get("ipConfigs") or []}
                for config in wanted.get("ipConfigs") or []:
                    if config.get("ipConfigName") in configs:
                        configs[config["ipConfigName"]].update(
                            recoveryStaticIPAddress=config.get("recoveryStaticIPAddress"),
                            recoverySubnetName=config.get("recoverySubnetName"),
                            tfoStaticIPAddress=config.get("tfoStaticIPAddress"),
                        )

        job = self._new_job(match, "UpdateVmProperties", "Update the virtual machine", key, effect)
        return 202, None, self._action_headers(match, job)

    def _create_container(self, match: re.Match[str], key: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        properties = dict((body or {}).get("properties") or {})
        container = match.group("container")

        def effect() -> None:
            self.put_resource(
                match.group(0),
                {"friendlyName": container, "fabricFriendlyName": match.group("fabric"), "pairingStatus": "NotPaired",
                 "fabricSpecificDetails": properties.get("providerSpecificInput")},
            )  # fmt: skip

        job = self._new_job(match, "CreateProtectionContainer", "Create protection container", "", effect)
        # Fake's assumption: the job names the container it creates as its target, as item jobs name their item.
        job.target_name = job.target_id = container
        return 202, None, self._action_headers(match, job)

    def _remove_container(self, match: re.Match[str], key: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        container_key = key.rsplit("/", 1)[0]
        if container_key not in self.resources:
            return 404, _error("NotFound", f"{container_key} was not found"), {}
        held = [
            k
            for k in self.resources
            if k.startswith(container_key + "/") and k.count("/") == container_key.count("/") + 2
        ]
        if held:  # fake's assumption for the code: ASR refuses to remove a container that maps or holds anything
            return 400, _error("ProtectionContainerNotEmpty", f"{container_key} still holds {held[0]}"), {}

        def effect() -> None:
            self.resources.pop(container_key, None)

        job = self._new_job(match, "RemoveProtectionContainer", "Remove protection container", container_key, effect)
        return 202, None, self._action_headers(match, job)

    def _discover_protectable_item(self, match: re.Match[str], key: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        container_key = key.rsplit("/", 1)[0]
        if container_key not in self.resources:
            return 404, _error("NotFound", f"{container_key} was not found"), {}
        properties = dict((body or {}).get("properties") or {})
        container_path = match.group(0).rsplit("/", 1)[0]

        def effect() -> None:  # fake's assumption: the item's name is ASR's own id, the details as VMwareVirtualMachine
            self.put_resource(
                f"{container_path}/replicationProtectableItems/{uuid.uuid4()}",
                {
                    "friendlyName": properties.get("friendlyName"),
                    "protectionStatus": "Unprotected",
                    "customDetails": {
                        "instanceType": "VMwareVirtualMachine",
                        "ipAddress": properties.get("ipAddress"),
                        "osType": properties.get("osType"),
                    },
                },
            )

        job = self._new_job(match, "DiscoverProtectableItem", "Add physical machine", container_key, effect)
        return 202, None, self._action_headers(match, job)

    def _put_plan(self, match: re.Match[str], key: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        properties = dict((body or {}).get("properties") or {})
        groups = properties.get("groups") or []
        items = sum(len(g.get("replicationProtectedItems") or []) for g in groups)
        # ASR's limits (components/limits.py); the error code is the fake's assumption.
        if items > limits.RECOVERY_PLAN_ITEMS.value or len(groups) > limits.RECOVERY_PLAN_GROUPS.value:
            message = f"{items} items in {len(groups)} groups: {limits.RECOVERY_PLAN_ITEMS.cite()}; {limits.RECOVERY_PLAN_GROUPS.cite()}"
            return 400, _error("RecoveryPlanLimitExceeded", message), {}
        self.put_resource(
            match.group(0),
            {
                "friendlyName": match.group("plan"),
                "allowedOperations": ["TestFailover", "UnplannedFailover"],
                "currentScenario": self._no_scenario(),
                **properties,
            },
        )
        return self._get(match, key, body)

    def _plan_action(self, match: re.Match[str], key: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        plan_key = key.rsplit("/", 1)[0]
        plan = self.resources.get(plan_key)
        if plan is None:
            return 404, _error("NotFound", f"{plan_key} was not found"), {}
        action = match.group("action").lower()
        allowed = {  # from the examples' 200 bodies; failoverCommit's is the fake's assumption
            "testfailover": ["TestFailoverCleanup"],
            "testfailovercleanup": ["TestFailover", "UnplannedFailover"],
            "unplannedfailover": ["FailoverCommit"],
            "failovercommit": [],
        }[action]

        def effect() -> None:
            plan["properties"]["allowedOperations"] = allowed
            # The plan's job acts on every item of its groups, as the item actions do.
            changes = self._item_effects().get(action, ("", "", None))[2]
            for group in plan["properties"].get("groups") or []:
                for member in group.get("replicationProtectedItems") or []:
                    item = self.resources.get(str(member.get("id", "")).lower().rstrip("/"))
                    if item is not None and changes:
                        item["properties"].update(changes)

        job = self._new_job(match, action, f"Recovery plan {action}", plan_key, effect)
        return 202, None, self._action_headers(match, job)

    def _list_jobs(self, match: re.Match[str], _key: str, _body: Any) -> tuple[int, Any, dict[str, str]]:
        # ReplicationJobs_List.json; `$filter=startTime eq '<time>'`: jobs started then or later (what PowerShell's
        # Get-AzRecoveryServicesAsrJob -StartTime sends).
        vault_key = _vault_key(match)
        since = re.fullmatch(r"startTime eq '([^']+)'", self._query.get("$filter", ""))
        value = [
            self._job_json(j)
            for k, j in self.jobs.items()
            if k.startswith(vault_key + "/") and (since is None or j.start_time >= since.group(1))
        ]
        if self.jobs_page_size is None:
            return 200, {"value": value}, {}
        skip = int(self._query.get("$skipToken", "0"))
        page: dict[str, Any] = {"value": value[skip : skip + self.jobs_page_size]}
        if skip + self.jobs_page_size < len(value):
            query = {**self._query, "$skipToken": str(skip + self.jobs_page_size)}
            page["nextLink"] = f"{self.url}{_vault_id(match)}/replicationJobs?{urlencode(query)}"
        return 200, page, {}

    def _get_job(self, match: re.Match[str], key: str, _body: Any) -> tuple[int, Any, dict[str, str]]:
        vault_key = _vault_key(match)
        job = self.jobs.get(f"{vault_key}/{key.rsplit('/', 1)[-1]}")
        if job is None:
            return 404, _error("NotFound", f"job {key.rsplit('/', 1)[-1]} was not found"), {}
        return 200, self._job_json(job), ({} if self.retry_after is None else {"Retry-After": self.retry_after})

    def _resume_job(self, match: re.Match[str], key: str, _body: Any) -> tuple[int, Any, dict[str, str]]:
        vault_key = _vault_key(match)
        name = key.rsplit("/", 2)[-2]
        job = self.jobs.get(f"{vault_key}/{name}")
        if job is None:
            return 404, _error("NotFound", f"job {name} was not found"), {}
        if self._job_state(job)[0] != "Suspended":
            return 400, _error("JobNotSuspended", f"job {name} is not suspended"), {}  # fake's assumption
        job.resumed_at = time.monotonic()
        return 202, None, self._action_headers(match, job)

    def _action_headers(self, match: re.Match[str], job: Job) -> dict[str, str]:
        base = self.url + _vault_id(match)
        unrelated = str(uuid.uuid4())
        query = f"?api-version={API_VERSION}"
        # Whole seconds, as in the examples: the SDK parses an action's Retry-After as an int.
        retry_after = "30"
        if self.action_headers == "none":
            return {}
        if self.action_headers == "location":
            return {
                "Location": f"{base}/replicationJobs/{job.name}/operationresults/{job.name}{query}",
                "Azure-AsyncOperation": f"{base}/replicationOperationStatus/{unrelated}{query}",
                "Retry-After": retry_after,
            }
        if self.action_headers == "async-unrelated":
            other = Job(unrelated, "DeleteRecoveryPlan", "Delete recovery plan", "", "plan1", time.monotonic(), "plan1")
            other.vault_id = job.vault_id
            self.jobs[f"{_vault_key(match)}/{unrelated}"] = other
        operation = unrelated if self.action_headers in ("async-mismatch", "async-unrelated") else job.name
        return {
            "Azure-AsyncOperation": f"{base}/replicationOperationStatus/{operation}{query}",
            "Retry-After": retry_after,
        }


def _api_version_for(path: str) -> str | None:
    """The api-version a path needs: 2025-08-01 under Microsoft.RecoveryServices, 2023-06-06 under Microsoft.OffAzure."""
    lowered = path.lower()
    if re.search(r"/vaults/[^/]+/(certificates|extendedinformation)/", lowered):
        return VAULT_API_VERSION
    if "microsoft.recoveryservices" in lowered:
        return API_VERSION
    if "microsoft.offazure" in lowered:
        return OFFAZURE_API_VERSION
    return None


class _Server(ThreadingHTTPServer):
    request_queue_size = 512  # the default backlog of 5 refuses connections when a whole wave's actions start at once

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that goes away (a killed plugin, a closed pool) is not an error of the fake's."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _vault_key(match: re.Match[str]) -> str:
    return (
        f"/subscriptions/{match.group('sub')}/resourcegroups/{match.group('rg')}/providers/"
        f"microsoft.recoveryservices/vaults/{match.group('vault')}"
    ).lower()


def _vault_id(match: re.Match[str]) -> str:
    """The vault's ARM id as ASR writes it ("/Subscriptions/...", the request's casing otherwise)."""
    return (
        f"/Subscriptions/{match.group('sub')}/resourceGroups/{match.group('rg')}/providers/"
        f"Microsoft.RecoveryServices/vaults/{match.group('vault')}"
    )


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _send(http: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict[str, str]) -> None:
    data = b"" if payload is None else json.dumps(payload).encode()
    http.send_response(status)
    http.send_header("Content-Type", "application/json")
    http.send_header("Content-Length", str(len(data)))
    http.send_header("x-ms-request-id", str(uuid.uuid4()))
    for name, value in headers.items():
        http.send_header(name, value)
    http.end_headers()
    http.wfile.write(data)

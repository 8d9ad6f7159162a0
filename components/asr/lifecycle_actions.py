"""The lifecycle's four actions, each defined once for a protected item and a recovery plan: test failover, its
cleanup, failover, complete migration (`components.asr.action_protocol` runs them).

What each leaves in its record besides the audit: test failover `recovery_point_used`, `test_vm_id`; cleanup
`comments`; failover `recovery_point_used`, `source_stop`, `skip_test_failover_reason`, `vm_id`; complete
migration `vm_id`. On a recovery plan the VMs are per machine under `items` (with each `item_id`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from azure.mgmt.recoveryservicessiterecovery import models

from components.asr.action_protocol import Action, allowed_operations, props_of
from components.asr.clock import as_utc
from components.asr.provider_inputs import provider_inputs

NO_TEST_STATES = frozenset({"", "None"})
DEFAULT_CLEANUP_COMMENTS = "Test failover cleanup by the migration lifecycle"


def vm_ids(item: Any) -> tuple[str | None, str | None]:
    """(test failover VM id, failed-over VM id), derived from the item's target settings.

    ASR names the test failover VM `<target VM name>-test` in the target resource group.
    """
    properties = props_of(item)
    details = properties.provider_specific_details if properties is not None else None
    group = getattr(details, "target_resource_group_id", None) or getattr(
        details, "recovery_azure_resource_group_id", None
    )
    name = getattr(details, "target_vm_name", None) or getattr(details, "recovery_azure_vm_name", None)
    if not group or not name:
        return None, getattr(details, "target_vm_id", None)
    base = f"{group}/providers/Microsoft.Compute/virtualMachines/{name}"
    return f"{base}-test", getattr(details, "target_vm_id", None) or base


def test_pending(item: Any) -> bool:
    """Whether the item's test failover ran and waits for its cleanup."""
    state = props_of(item).test_failover_state or ""
    return state not in NO_TEST_STATES or "TestFailoverCleanup" in allowed_operations(item)


def test_failover_guard(
    item: Any, machine: str, max_age_days: float, skip_reason: str | None, at: datetime
) -> str | None:
    """Why a failover of `item` must wait, or None: a successful, cleaned-up test failover within the age limit."""
    if skip_reason:
        return None
    properties = props_of(item)
    tested = properties.last_successful_test_failover_time if properties is not None else None
    state = (properties.test_failover_state if properties is not None else None) or ""
    if test_pending(item):
        return f"{machine}: its test failover is not cleaned up yet (testFailoverState {state!r}); move it to phase 'tested' first"
    if tested is None:
        return (
            f"{machine}: has no successful test failover; run phases test and tested first, or set"
            " machines[].skipTestFailover to the reason it is skipped"
        )
    age = at - as_utc(tested)
    if age > timedelta(days=max_age_days):
        return (
            f"{machine}: its last successful test failover ({as_utc(tested).isoformat()}) is {age.days} days old,"
            f" more than lifecycle.testFailoverMaxAgeDays ({max_age_days:g}); test it again or set"
            " machines[].skipTestFailover to the reason"
        )
    return None


class TestFailoverAction(Action):
    """Test failover into the isolated test network."""

    __test__ = False  # not a pytest class
    kind = "test failover"
    method = "test_failover"
    operation = "TestFailover"
    scenarios = frozenset({"testfailover"})
    needs = ("test_network_id",)
    takes_recovery_point = True

    def done(self, item: Any, props: dict[str, Any]) -> str | None:
        return "AlreadyDone" if test_pending(item) else None

    def item_body(self, props: dict[str, Any], item: Any, extra: dict[str, Any]) -> Any:
        point_id = extra["recovery_point_used"]["id"]
        specific = provider_inputs(props["architecture"]).test_failover(point_id, props["test_network_id"])
        return models.TestFailoverInput(properties=models.TestFailoverInputProperties(**_into_test(props, specific)))

    def plan_body(self, props: dict[str, Any], extra: dict[str, Any]) -> Any:
        specific = [provider_inputs(props["architecture"]).plan_failover(extra["recovery_point_used"]["type"])]
        return models.RecoveryPlanTestFailoverInput(
            properties=models.RecoveryPlanTestFailoverInputProperties(**_into_test(props, specific))
        )

    def vm_record(self, item: Any, props: dict[str, Any]) -> dict[str, Any]:
        return {"test_vm_id": vm_ids(item)[0]}


def _into_test(props: dict[str, Any], specific: Any) -> dict[str, Any]:
    return {
        "failover_direction": "PrimaryToRecovery",
        "network_type": "VmNetworkAsInput",
        "network_id": props["test_network_id"],
        "provider_specific_details": specific,
    }


class TestFailoverCleanupAction(Action):
    """Clean up the test failover (deletes the test VMs); `NothingToCleanUp` when none is pending or the item is
    gone."""

    __test__ = False
    kind = "test failover cleanup"
    method = "test_failover_cleanup"
    operation = "TestFailoverCleanup"
    scenarios = frozenset({"testfailovercleanup", "cleanuptestfailover"})

    def done(self, item: Any, props: dict[str, Any]) -> str | None:
        return None if test_pending(item) else "NothingToCleanUp"

    def missing(self, props: dict[str, Any]) -> dict[str, Any] | None:
        return {"result": "NothingToCleanUp"}

    def notes(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"comments": props.get("comments") or DEFAULT_CLEANUP_COMMENTS}

    def item_body(self, props: dict[str, Any], item: Any, extra: dict[str, Any]) -> Any:
        return models.TestFailoverCleanupInput(
            properties=models.TestFailoverCleanupInputProperties(**self.notes(props))
        )

    def plan_body(self, props: dict[str, Any], extra: dict[str, Any]) -> Any:
        return models.RecoveryPlanTestFailoverCleanupInput(
            properties=models.RecoveryPlanTestFailoverCleanupInputProperties(**self.notes(props))
        )


class FailoverAction(Action):
    """Unplanned failover to Azure, after the tested-recently guard and the optional EC2 stop."""

    kind = "failover"
    method = "unplanned_failover"
    operation = "UnplannedFailover"
    scenarios = frozenset({"unplannedfailover"})
    takes_recovery_point = stops_source = guarded = True

    def done(self, item: Any, props: dict[str, Any]) -> str | None:
        properties = props_of(item)
        failed_over = properties.active_location == "Recovery" or "CompleteMigration" in allowed_operations(item)
        return "AlreadyDone" if failed_over else None

    def guard(self, item: Any, props: dict[str, Any]) -> str | None:
        return test_failover_guard(
            item,
            props.get("machine_name") or props["protected_item_name"],
            float(props.get("test_failover_max_age_days") or 7),
            props.get("skip_test_failover_reason"),
            datetime.now(UTC),
        )

    def item_body(self, props: dict[str, Any], item: Any, extra: dict[str, Any]) -> Any:
        shutdown = bool(props.get("shutdown_source"))
        point_id = extra["recovery_point_used"]["id"]
        specific = provider_inputs(props["architecture"]).failover(point_id, shutdown)
        return models.UnplannedFailoverInput(
            properties=models.UnplannedFailoverInputProperties(**_into_azure(props, specific))
        )

    def plan_body(self, props: dict[str, Any], extra: dict[str, Any]) -> Any:
        specific = [provider_inputs(props["architecture"]).plan_failover(extra["recovery_point_used"]["type"])]
        return models.RecoveryPlanUnplannedFailoverInput(
            properties=models.RecoveryPlanUnplannedFailoverInputProperties(**_into_azure(props, specific))
        )

    def vm_record(self, item: Any, props: dict[str, Any]) -> dict[str, Any]:
        return {"vm_id": vm_ids(item)[1]}


def _into_azure(props: dict[str, Any], specific: Any) -> dict[str, Any]:
    return {
        "failover_direction": "PrimaryToRecovery",
        "source_site_operations": "Required" if props.get("shutdown_source") else "NotRequired",
        "provider_specific_details": specific,
    }


class CompleteMigrationAction(Action):
    """Complete migration: POST /remove with `disableProtectionReason: MigrationComplete` (never Commit, never
    purge). A recovery plan has no such operation: it runs per item."""

    kind = "complete migration"
    method = "delete"  # the SDK's name for POST .../remove (begin_purge is the DELETE, never used)
    operation = "CompleteMigration"
    scenarios = frozenset({"disabledr", "completemigration"})
    on_plans = False

    def missing(self, props: dict[str, Any]) -> dict[str, Any] | None:
        # After a successful remove the item is gone: a rerun (for example after a crash) finds nothing to do.
        return {"result": "AlreadyDone", "vm_id": props.get("migrated_vm_id")}

    def item_body(self, props: dict[str, Any], item: Any, extra: dict[str, Any]) -> Any:
        return models.DisableProtectionInput(
            properties=models.DisableProtectionInputProperties(
                disable_protection_reason="MigrationComplete",
                replication_provider_input=models.DisableProtectionProviderSpecificInput(
                    instance_type="DisableProtectionProviderSpecificInput"
                ),
            )
        )

    def vm_record(self, item: Any, props: dict[str, Any]) -> dict[str, Any]:
        return {"vm_id": vm_ids(item)[1]}

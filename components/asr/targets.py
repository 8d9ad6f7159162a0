"""The two kinds of target an action runs on (`components.asr.action_protocol`): one protected item, or a recovery
plan and its items.

A wave reads its items with one paged list per protection container (`list_items`) instead of one GET per
machine; a target made from that listing reads its item from it first, and GETs it again only to look for the
action's job after the request (`jobs.start_job`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from components.asr.action_protocol import Action, ActionRefusedError
from components.asr.recovery_points import plan_recovery_point_type, resolve_item_recovery_point

Listing = dict[tuple[str, str], dict[str, Any]]
"""(fabric, container) -> {item name, lower case: item}."""


def list_items(client: Any, rg: str, vault: str, entries: Iterable[dict[str, Any]]) -> Listing:
    """The protected items of the containers `entries` name (`fabric_name`, `container_name`): one paged read
    per container."""
    listed: Listing = {}
    for entry in entries:
        key = (entry["fabric_name"], entry["container_name"])
        if key not in listed:
            pages = client.replication_protected_items.list_by_replication_protection_containers(rg, vault, *key)
            listed[key] = {item.name.lower(): item for item in pages}
    return listed


class ItemTarget:
    """One machine's protected item; `props`: the wave's inputs with the machine's entry (and `machine_name`)."""

    noun = "the item"

    def __init__(self, client: Any, props: dict[str, Any], listed: Listing | None = None) -> None:
        self.client, self.props, self.listed = client, props, listed
        self.name = props.get("machine_name") or props["protected_item_name"]
        self.named = f"item {props['protected_item_name']}"
        self.path = (props["fabric_name"], props["container_name"], props["protected_item_name"])
        self.item: Any = None

    def fetch(self) -> Any:
        return self.client.replication_protected_items.get(
            self.props["resource_group_name"], self.props["vault_name"], *self.path
        )

    def read(self) -> Any:
        if self.listed is not None:
            self.item = self.listed.get(self.path[:2], {}).get(self.path[2].lower())
        else:
            try:
                self.item = self.fetch()
            except ResourceNotFoundError:
                self.item = None
        return self.item

    def members(self) -> list[tuple[dict[str, Any], Any]]:
        return [(self.props, self.item)]

    def state(self) -> str:
        properties = self.item.properties
        return f"; protectionState: {properties.protection_state}; testFailoverState: {properties.test_failover_state}"

    def context(self, action: Action) -> dict[str, Any]:
        return {"skip_test_failover_reason": self.props.get("skip_test_failover_reason")} if action.guarded else {}

    def before(self, action: Action, client: Any) -> dict[str, Any]:
        prepared = action.prepare(self.item, self.props)
        if not action.takes_recovery_point:
            return prepared
        requested = self.props.get("recovery_point") or "latest"
        coordinates = (self.props["resource_group_name"], self.props["vault_name"], *self.path)
        return {"recovery_point_used": resolve_item_recovery_point(client, coordinates, requested), **prepared}

    def begin(
        self, action: Action, client: Any, extra: dict[str, Any]
    ) -> tuple[Callable[..., Any], tuple[Any, ...], Any]:
        begin = getattr(client.replication_protected_items, f"begin_{action.method}")
        return begin, self.path, action.item_body(self.props, self.item, extra)

    def vms(self, action: Action) -> dict[str, Any]:
        return action.vm_record(self.item, self.props)


class PlanTarget:
    """A recovery plan and its items; `props`: the plan action's inputs, `machines` a list of machine entries
    (with `machine_name`)."""

    noun = named = "the plan"

    def __init__(self, client: Any, props: dict[str, Any]) -> None:
        self.client, self.props = client, props
        self.plan_name = props["recovery_plan_name"]
        self.name = f"recovery plan {self.plan_name}"
        self.items: dict[str, Any] = {}

    def fetch(self) -> Any:
        return self.client.replication_recovery_plans.get(
            self.props["resource_group_name"], self.props["vault_name"], self.plan_name
        )

    def read(self) -> Any:
        plan = self.fetch()
        machines = self.props["machines"]
        listed = list_items(self.client, self.props["resource_group_name"], self.props["vault_name"], machines)
        for machine in machines:
            item = listed[(machine["fabric_name"], machine["container_name"])].get(
                machine["protected_item_name"].lower()
            )
            if item is None:
                raise ActionRefusedError(
                    f"{self.name}: protected item {machine['protected_item_name']} ({machine['machine_name']})"
                    " was not found"
                )
            self.items[machine["machine_name"]] = item
        return plan

    def members(self) -> list[tuple[dict[str, Any], Any]]:
        return [({**self.props, **m}, self.items[m["machine_name"]]) for m in self.props["machines"]]

    def state(self) -> str:
        return ""

    def context(self, action: Action) -> dict[str, Any]:
        context: dict[str, Any] = {}
        if action.takes_recovery_point:
            requested = self.props.get("recovery_point") or "latest"
            context["recovery_point_used"] = {"requested": requested, "type": plan_recovery_point_type(requested)}
        if action.guarded:
            skipped = {
                m["machine_name"]: m["skip_test_failover_reason"]
                for m in self.props["machines"]
                if m.get("skip_test_failover_reason")
            }
            context["skip_test_failover_reason"] = skipped or None
        return context

    def before(self, action: Action, client: Any) -> dict[str, Any]:
        return {}

    def begin(
        self, action: Action, client: Any, extra: dict[str, Any]
    ) -> tuple[Callable[..., Any], tuple[Any, ...], Any]:
        begin = getattr(client.replication_recovery_plans, f"begin_{action.method}")
        return begin, (self.plan_name,), action.plan_body(self.props, extra)

    def vms(self, action: Action) -> dict[str, Any]:
        return {
            "items": {
                machine["machine_name"]: {"item_id": item.id, **action.vm_record(item, machine)}
                for machine, item in self.members()
            }
        }

"""Choose the recovery point an item or a recovery plan fails over to, from the wave's `recoveryPoint` setting.

| setting | protected item (per machine) | recovery plan |
|---|---|---|
| `latest` | no `recoveryPointId`: ASR processes all pending data first (lowest RPO, slowest) | `Latest` |
| `latestProcessed` | the newest listed recovery point | `LatestProcessed` |
| `latestAppConsistent` | the newest listed point whose type is app-consistent | `LatestApplicationConsistent` |
| an ISO 8601 time | the newest listed point at or before that time | not possible (the config refuses it) |

At item level the API only takes a `recoveryPointId` (none means latest), so every other choice means listing
`.../replicationProtectedItems/{item}/recoveryPoints` and picking one; a plan takes a `recoveryPointType`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from components.asr.clock import as_utc
from components.errors import MigrationError

NAMED = ("latest", "latestProcessed", "latestAppConsistent")
PLAN_TYPES = {
    "latest": "Latest",
    "latestProcessed": "LatestProcessed",
    "latestAppConsistent": "LatestApplicationConsistent",
}


class RecoveryPointError(MigrationError, RuntimeError):
    """No recovery point matches the wave's `recoveryPoint` setting."""


def parse_time(value: str) -> datetime:
    """An ISO 8601 time with a time zone (a trailing `Z` is accepted); raises ValueError otherwise."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("must carry a time zone, like 2026-05-01T22:00:00Z")
    return parsed


def recovery_point_rule(value: str) -> str | None:
    """None if `value` is a valid `recoveryPoint` setting, else the rule it breaks."""
    if value in NAMED:
        return None
    try:
        parse_time(value)
    except ValueError:
        return f"must be one of {', '.join(NAMED)} or an ISO 8601 time with a time zone, like 2026-05-01T22:00:00Z"
    return None


def plan_recovery_point_type(requested: str) -> str:
    """The recovery plan `recoveryPointType` for a setting; a custom time has none."""
    if requested not in PLAN_TYPES:
        raise RecoveryPointError(f"recoveryPoint {requested!r}: a recovery plan takes {', '.join(NAMED)} only")
    return PLAN_TYPES[requested]


def resolve_item_recovery_point(
    client: Any, coordinates: tuple[str, str, str, str, str], requested: str
) -> dict[str, Any]:
    """The recovery point for one protected item: `{requested, id, time, type}` (id None means latest).

    `coordinates` are (resource group, vault, fabric, container, item).
    """
    if requested == "latest":
        return {"requested": requested, "id": None, "time": None, "type": "Latest"}
    points = [
        (point.id, as_utc(point.properties.recovery_point_time), point.properties.recovery_point_type or "")
        for point in client.recovery_points.list_by_replication_protected_items(*coordinates)
        if point.properties is not None and point.properties.recovery_point_time is not None
    ]
    if requested == "latestProcessed":
        candidates = points
    elif requested == "latestAppConsistent":
        candidates = [p for p in points if "app" in p[2].lower()]
    else:
        limit = parse_time(requested)
        candidates = [p for p in points if p[1] <= limit]
    if not candidates:
        listed = (
            ", ".join(f"{when.isoformat()} {kind}" for _, when, kind in sorted(points, key=lambda p: p[1])) or "none"
        )
        raise RecoveryPointError(
            f"item {coordinates[4]}: no recovery point matches recoveryPoint {requested!r} (listed: {listed});"
            " choose another lifecycle.recoveryPoint, or `latest`"
        )
    point_id, when, kind = max(candidates, key=lambda p: p[1])
    return {"requested": requested, "id": point_id, "time": when.isoformat(), "type": kind}

"""The wave runbook: a Markdown page a change board can read and approve, made from the offline plan."""

from __future__ import annotations

from typing import Any

from components import appliance_capacity
from components.config import WaveConfig
from components.limits import RECOVERY_PLAN_ITEMS
from components.stack_config import Foundation
from migrate_tool.offline import runbook_steps

_CLASSIC_WARNING = (
    "> **Classic architecture.** New vaults cannot use it since 15 Nov 2022 and its support ended on"
    " 15 Nov 2023 (vmware-physical-azure-classic-deprecation.md). Use it only to follow the seed tutorial"
    " or on a vault that already runs it."
)


# The lifecycle's ASR actions (components/asr/actions.py) and what each does to a machine, for the runbook.
_ACTIONS = {
    "WaveTestFailover": "test failover into the isolated test network",
    "WaveTestFailoverCleanup": "test failover cleanup: deletes the test VMs if any are up, else finds nothing"
    " and sends nothing (on a never-tested wave it only reads)",
    "WaveFailover": "FAILOVER to Azure (EC2 sources stopped first when shutdownSource is set)",
    "WaveCompleteMigration": "complete migration (replication removed, billing stops)",
    "PlanTestFailover": "recovery-plan test failover of the whole wave",
    "PlanTestFailoverCleanup": "recovery-plan test failover cleanup",
    "PlanFailover": "recovery-plan FAILOVER of the whole wave",
    "WavePostMigrationPrep": "post-migration preparation: VM agent check, Mobility service removal, restart",
}
_IRREVERSIBLE = {"WaveFailover", "PlanFailover", "WaveCompleteMigration"}


def _actions(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """(action type, resource name and the machines it acts on) of the lifecycle actions the plan declares."""
    found = []
    for resource in plan["resources"]:
        kind = resource["type"].rsplit(":", 1)[-1]
        if resource["type"].startswith("pulumi-python:dynamic/asr:") and kind in _ACTIONS:
            machines = resource.get("inputs", {}).get("machines") or {}
            names = list(machines) if isinstance(machines, dict) else [m.get("machine_name") for m in machines]
            found.append((kind, f"{resource['name']} ({', '.join(map(str, names))})" if names else resource["name"]))
    return found


def _preflight(wave: WaveConfig) -> list[str]:
    """What must hold in Azure and AWS before the first `pulumi up` of the wave."""
    installers = (
        f"- [ ] Mobility installers copied from the appliance to `{wave.aws.mobility_installer_s3_uri}`"
        " (SSM installs and registers the agent from there)"
        if wave.aws.mobility_installer_s3_uri
        else "- [ ] **No `aws.mobilityInstallerS3Uri`**: install and register the Mobility service on every machine"
        " by hand, or copy the installers from the appliance to S3 and set it"
    )
    return [
        f"- [ ] Azure: Contributor on the subscription (or on resource group `{wave.azure.resource_group}`) in"
        f" `{wave.azure.location}`, for the landing zone, vault and ASR actions; ARM_* / AZURE_* credentials",
        f"- [ ] AWS: in `{wave.aws.region}`, rights to run EC2 instances and manage security groups in"
        f" `{wave.aws.vpc_id}`, create IAM roles and instance profiles (iam:PassRole), Secrets Manager secrets,"
        " SSM documents, associations and parameters, tag and stop the source instances",
        "- [ ] Every source instance runs the SSM Agent and has an instance profile with AmazonSSMManagedInstanceCore,"
        " plus s3:GetObject on the installers and ssm:GetParameter (with kms:Decrypt) on the wave's passphrase"
        " parameter",
        installers,
        f"- [ ] Network: the sources reach the appliance in `{wave.aws.subnet_id}` on TCP 443 and 9443; the appliance"
        " reaches Azure on TCP 443 (directly or through your proxy)",
        f"- [ ] Admin network `{wave.aws.admin_cidr}` is the only RDP source you intend to allow",
        f"- [ ] Names are free: storage account `{wave.azure.storage_account}` (global), vault `{wave.azure.vault}` in"
        f" `{wave.azure.resource_group}`",
    ]


def _verdicts(plan: dict[str, Any]) -> str:
    """The policy pack's verdicts on the plan, a row each."""
    if not plan["policy"]:
        return "No policy violations."
    rows = [[v["level"], v["policy"], v["urn"] or "(stack)", v["message"]] for v in plan["policy"]]
    return _table(["Level", "Policy", "Resource", "Message"], rows)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _appliance_load(wave: WaveConfig) -> str:
    """The host's size, what Microsoft rates it for, and the wave's load (components/appliance_capacity.py)."""
    host = wave.appliance_host
    load = appliance_capacity.wave_load(wave.model_dump(by_alias=True))
    tier = appliance_capacity.host_tier(host.instance_type, host.data_disk_gb)
    rated = f"rated for {tier.machines} machines and {tier.churn_gb_per_day:,} GB a day" if tier else "not rated"
    undeclared = f" ({load.undeclared} with no declared churn, counted as 0)" if load.undeclared else ""
    return f"{host.instance_type}, {host.data_disk_gb} GB cache: {rated}; the wave: {load}{undeclared}"


def _appliance_rows(wave: WaveConfig) -> list[list[str]]:
    """The wave's own appliance host and its load, or the foundation appliances that serve its machines."""
    if wave.foundation is None:
        return [["Appliance host", wave.appliance_host.name], ["Appliance size and load", _appliance_load(wave)]]
    counts: dict[str, int] = {}
    for machine in wave.machines:
        counts[machine.appliance or ""] = counts.get(machine.appliance or "", 0) + 1
    served = ", ".join(f"`{a}` ({n} machines)" for a, n in sorted(counts.items()))
    return [["Appliances (the foundation's)", served]]


def _foundation_section(wave: WaveConfig) -> list[str]:
    """A wave on a foundation: what it reuses, and what it adds (docs/foundation.md)."""
    if wave.foundation is None:
        return []
    appliances = sorted({m.appliance or "" for m in wave.machines})
    reused = [
        f"the resource group `{wave.azure.resource_group}` and cache storage account `{wave.azure.storage_account}`",
        f"the vault `{wave.azure.vault}`, its replication policy `{wave.azure.replication_policy.name}` and its mapping",
        "the appliance(s) " + ", ".join(f"`{a}`" for a in appliances) + ", already registered (nothing to register)",
        f"the target network `{wave.azure.layout.name}` and the test network `{wave.azure.layout.test_network_name}`",
    ]
    added = [
        "the tags, appliance access and SSM Mobility agent association of this wave's EC2 sources, one per appliance",
        f"discovery and one protected item per machine ({len(wave.machines)} machines)",
        "the lifecycle actions this wave's phases ask for, and its own stack outputs for its DR stack",
    ]
    return [
        f"## Shared with foundation `{wave.foundation.stack}`",
        "This wave declares none of the shared parts; it reads their ids from the foundation's stack outputs.\n\n"
        + "**Reuses:**\n"
        + "\n".join(f"- {line}" for line in reused)
        + "\n\n**Adds:**\n"
        + "\n".join(f"- {line}" for line in added),
    ]


def _recovery_plans(wave: WaveConfig) -> list[str]:
    """recoveryPlan orchestration: each plan with its boot groups in the order ASR starts them."""
    if wave.lifecycle.orchestration != "recoveryPlan":
        return []
    layouts = wave.recovery_plans()
    rows = [
        [layout.name, f"Boot group {group}", str(len(names)), ", ".join(names)]
        for layout in layouts
        for group, names in layout.groups
    ]
    note = (
        f"ASR takes at most {RECOVERY_PLAN_ITEMS.value} machines in a plan: the wave's {len(layouts)} plans run side"
        " by side in each phase, and each starts its boot groups in order (ASR orders them within a plan only)."
        if len(layouts) > 1
        else "ASR starts the boot groups in order: a group's machines start once the group before it has started."
    )
    return ["## Recovery plans", _table(["Plan", "Group", "Machines", "Names"], rows) + "\n\n" + note]


def render(wave: WaveConfig, plan: dict[str, Any]) -> str:
    """Runbook sections: scope, pre-flight checks, what will be created, outputs, steps, sign-off."""
    resources = [r for r in plan["resources"] if not r["component"]]
    components = {r["urn"]: r["name"] for r in plan["resources"] if r["component"]}
    secrets = plan["secrets"]
    actions = _actions(plan)
    preflight = [
        f"- [ ] Secret `{key}` set with `pulumi config set --secret {key} <value>`"
        + (" (**not set yet**)" if key in secrets["missing"] else " (present, encrypted)")
        for key in secrets["missing"] + secrets["encryptedInStackFile"]
    ]
    preflight += [
        f"- [ ] **Move `{key}` out of plain text**: `pulumi config set --secret {key} <value>`"
        for key in secrets["plaintextInStackFile"]
    ]
    preflight += _preflight(wave)
    sections = [
        f"# Runbook: migration wave `{wave.name}`",
        f"_{plan['notice']}_",
        "## Scope",
        _table(
            ["", ""],
            [
                ["Architecture", f"{wave.architecture} (`{wave.provider_type}`)"],
                ["Azure region", wave.azure.location],
                ["Resource group", wave.azure.resource_group],
                ["Vault", wave.azure.vault],
                ["Cache storage account", f"{wave.azure.storage_account} ({wave.azure.storage_sku})"],
                ["Target network", f"{wave.azure.layout.name} {', '.join(wave.azure.layout.address_space)}"],
                ["Test-failover network (isolated)", wave.azure.layout.test_network_name],
                ["AWS region", wave.aws.region],
                *_appliance_rows(wave),
            ],
        ),
        *_foundation_section(wave),
        *([_CLASSIC_WARNING] if wave.profile.is_classic else []),
        "## Machines",
        _table(
            ["Name", "EC2 instance", "Private IP", "OS", "Azure VM size", "Lifecycle phase", "Test failover"],
            [
                [
                    m.name,
                    m.instance_id,
                    m.private_ip,
                    m.os,
                    m.vm_size or "chosen by ASR",
                    wave.phase_of(m),
                    f"skipped: {m.skip_test_failover}" if m.skip_test_failover else "required before cutover",
                ]
                for m in wave.machines
            ],
        ),
        *_recovery_plans(wave),
        "## Where the machines are",
        runbook_steps.mermaid(wave),
        f"Cutover uses recovery point `{wave.lifecycle.recovery_point}`; a test failover counts for"
        f" {wave.lifecycle.test_failover_max_age_days} days. After each `pulumi up`, `pulumi stack output lifecycle`"
        " holds the audit trail: per machine and action the job, its start and end, the result, the recovery point"
        " used, the skip reason and the cleanup notes.",
        "## Lifecycle actions declared",
        _table(["Action", "Resource", "What it does"], [[kind, name, _ACTIONS[kind]] for kind, name in actions])
        + "\n\nEach action runs once: on later `pulumi up`s it is only kept as the audit trail."
        if actions
        else "None: machines only replicate.",
        "## Pre-flight checks",
        "\n".join(preflight),
        f"## What `pulumi up -s {plan['stack']}` will create ({len(resources)} resources)",
        _table(
            ["Component", "Type", "Name"],
            [[components.get(r["parent"], "(stack)"), f"`{r['type']}`", r["name"]] for r in resources],
        ),
        "## Stack outputs (contract for follow-on DR stacks)",
        _table(
            ["Output", "Value"],
            [
                [f"`{k}`", f"`{v}`" if not isinstance(v, list) else f"{len(v)} entries"]
                for k, v in plan["outputs"].items()
            ],
        ),
        "## Policy verdicts",
        _verdicts(plan),
        "## Steps",
        runbook_steps.render_steps(wave, plan["stack"], secrets["missing"]),
        "## Rollback",
        "The vault and resource group are protected: removing them from config does not delete them."
        + (
            " **This plan declares irreversible steps** ("
            + ", ".join(sorted({kind for kind, _ in actions if kind in _IRREVERSIBLE}))
            + "): this tool never fails back or undoes a failover; roll back by starting the EC2 sources again"
            " before complete migration, and treat a completed migration as final."
            if any(kind in _IRREVERSIBLE for kind, _ in actions)
            else " Nothing in this plan fails a machine over or completes a migration."
        ),
        "## Sign-off",
        "| Role | Name | Date |\n|---|---|---|\n| Change owner | | |\n| Platform team | | |",
    ]
    return "\n\n".join(sections) + "\n"


def render_foundation(foundation: Foundation, plan: dict[str, Any]) -> str:
    """A foundation's runbook: what it declares, its appliances' load across its waves, the registration steps."""
    config = foundation.config
    resources = [r for r in plan["resources"] if not r["component"]]
    missing = plan["secrets"]["missing"]
    board = foundation.assignment.board()
    waves = ", ".join(f"`{w.name}`" for w in foundation.waves) or "none yet"
    steps = [
        f"`pulumi up -s {plan['stack']}`: creates the landing zone, the vault and the {len(config.aws.appliances)}"
        " appliance host(s), and stops with the registration steps (stack output `pendingSteps`).",
        "For each appliance, **one after the other** (Microsoft does not support parallel registrations): register"
        " it in the portal, set its passphrase secret (below), and `pulumi up` again: the foundation confirms the"
        " registration, then creates the replication policy and its mapping once.",
        "Then each wave: `pulumi up -s <wave>`. A wave registers nothing; it stops with one line if an appliance it"
        " uses is not registered yet.",
    ]
    secrets = [f"- [ ] `{key}`" + (" (**not set yet**)" if key in missing else "") for key in missing]
    sections = [
        f"# Runbook: migration foundation `{config.name}`",
        f"_{plan['notice']}_",
        "## Scope",
        _table(
            ["", ""],
            [
                ["Architecture", config.architecture],
                ["Azure region", config.azure.location],
                ["Resource group", config.azure.resource_group],
                ["Vault", config.azure.vault],
                ["Cache storage account", f"{config.azure.storage_account} ({config.azure.storage_sku})"],
                ["Target network", config.azure.layout.name],
                ["Test-failover network (isolated)", config.azure.layout.test_network_name],
                ["AWS region", config.aws.region],
                ["Waves (stack files naming this foundation)", waves],
            ],
        ),
        "## Appliances and their load across the waves",
        _table(
            ["Appliance", "Instance type", "Machines", "Churn GB/day", "Rated for", "Per wave"],
            [
                [
                    name,
                    row["instanceType"],
                    row["machines"],
                    f"{row['churnGbPerDay']:,g}",
                    f"{row['ratedMachines']} machines, {row['ratedChurnGbPerDay']:,g} GB/day",
                    ", ".join(f"{w}: {n}" for w, n in row["waves"].items()) or "-",  # type: ignore[attr-defined]
                ]
                for name, row in board.items()
            ],
        ),
        "Everything the foundation declares is protected: removing it from the config stops `pulumi up` instead of"
        " deleting what the waves replicate through.",
        "## Secrets",
        "\n".join(secrets) or "All set.",
        "## Steps",
        "\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1)),
        f"## What `pulumi up -s {plan['stack']}` will create ({len(resources)} resources)",
        _table(["Type", "Name"], [[f"`{r['type']}`", r["name"]] for r in resources]),
        "## Policy verdicts",
        _verdicts(plan),
    ]
    return "\n\n".join(sections) + "\n"

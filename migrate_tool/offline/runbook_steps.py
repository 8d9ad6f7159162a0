"""What the operator does around this `pulumi up`, for the phase each machine is in: the runbook's steps.

Each phase of docs/lifecycle.md has what the operator checks before the `up`, what the `up` does, and what
they do after it; the irreversible steps are marked. The wave's machines are grouped by phase (perMachine
orchestration lets them differ), and a mermaid chart shows where they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.config import PHASES, WaveConfig
from components.secrets import NAMESPACE

IRREVERSIBLE = "**IRREVERSIBLE**"


@dataclass(frozen=True)
class PhaseSteps:
    before: list[str]
    up: list[str]
    after: list[str]


def _first_up(wave: WaveConfig, missing_secrets: list[str]) -> list[str]:
    """Steps only a new wave needs: secrets, and the appliance's registration with the vault."""
    if wave.foundation is not None:
        return [
            f"This wave registers nothing: foundation `{wave.foundation.stack}` registered its appliances. If one this"
            " wave uses is not registered yet, `pulumi preview` stops with a line that says so: finish the"
            " foundation's `pendingSteps` and its `pulumi up` first."
        ]
    staged = {f"{NAMESPACE}:{k}" for k in wave.profile.staged_secrets}
    steps = [
        f"Set `{key}`: `pulumi config set --secret {key} <value>`." for key in missing_secrets if key not in staged
    ]
    if not wave.profile.is_classic:
        steps.append(
            "A new wave needs no secret for its first `pulumi up`: it creates the landing zone, the vault and the"
            " appliance host, and stops before replication with the next steps (stack output `pendingSteps`)."
        )
        steps.append(
            f"Then register the replication appliance by hand: in the portal, vault `{wave.azure.vault}` > Site"
            " Recovery infrastructure > ASR replication appliances > Add, generate the appliance key; RDP to the"
            f" appliance host `{wave.appliance_host.name}` (from `{wave.aws.admin_cidr}`), open the appliance"
            " configuration manager and paste the key (Microsoft documents no unattended registration)."
        )
        steps.append(
            "Copy the appliance's passphrase into `pulumi config set --secret migration:appliancePassphrase <value>`;"
            " the next `pulumi up` then prepares, discovers and replicates the machines."
        )
    else:
        steps.append(
            f"Nothing to do by hand for the registration: the configuration server `{wave.appliance_host.name}`"
            " registers itself with the vault credentials; `pulumi up` waits for it (up to"
            f" {wave.azure.registration_timeout_minutes} min)."
        )
    return steps


def phase_steps(wave: WaveConfig, phase: str, machines: list[str], missing_secrets: list[str]) -> PhaseSteps:
    """The before / up / after steps for `machines`, which are in `phase`."""
    names = ", ".join(f"`{m}`" for m in machines)
    lifecycle = wave.lifecycle
    if phase == "replicate":
        return PhaseSteps(
            before=_first_up(wave, missing_secrets),
            up=[
                "Create or keep the landing zone, vault, replication policy and appliance host; once the passphrase is"
                f" set, wait (up to {wave.azure.registration_timeout_minutes} min) for the appliance to be registered.",
                f"Enable replication of {names} (initial replication then runs in ASR, outside `pulumi up`).",
                "Clean up a test failover only if one is still up (after a move back from `test`); on a wave never"
                " tested the cleanup finds nothing and sends nothing.",
            ],
            after=[
                f"`python3 migrate.py status {wave.name} --watch` until {names} show `ready to test`.",
                "Then set `lifecycle.phase: test` (or the machines' `phase`) and run `pulumi up` again.",
            ],
        )
    if phase == "test":
        return PhaseSteps(
            before=[f"`python3 migrate.py status {wave.name}` shows {names} as `ready to test`."],
            up=[
                f"Test failover of {names} into the isolated network `{wave.azure.layout.test_network_name}`"
                f" (recovery point `{lifecycle.recovery_point}`); the EC2 sources keep running."
            ],
            after=[
                "Check the test VMs (sign-in, services, application smoke tests); they have no route out.",
                "Write what you saw into `lifecycle.cleanupNotes` (kept in the audit trail), then set"
                " `lifecycle.phase: tested` and run `pulumi up` to clean up.",
            ],
        )
    if phase == "tested":
        return PhaseSteps(
            before=["The test VMs were checked and `lifecycle.cleanupNotes` says what was seen."],
            up=[f"Clean up the test failover of {names}: the test VMs are deleted, the notes recorded."],
            after=[
                f"Schedule the cutover within {lifecycle.test_failover_max_age_days} days"
                " (`lifecycle.testFailoverMaxAgeDays`): an older test failover no longer allows it.",
            ],
        )
    if phase == "cutover":
        skips = [m for m in wave.machines if m.name in machines and m.skip_test_failover]
        before = [
            "Announce the downtime: the EC2 sources stop and users move to Azure.",
            f"Each of {names} has a cleaned-up test failover at most {lifecycle.test_failover_max_age_days} days old"
            " (the failover refuses otherwise).",
        ]
        before += [f"`{m.name}` cuts over without a test failover; reason given: {m.skip_test_failover}" for m in skips]
        stop = (
            "stop the EC2 sources through the AWS API (`lifecycle.shutdownSource`), then"
            if lifecycle.shutdown_source
            else "leave the EC2 sources running (`lifecycle.shutdownSource: false`) and"
        )
        return PhaseSteps(
            before=before,
            up=[f"{IRREVERSIBLE}: {stop} fail {names} over to Azure at recovery point `{lifecycle.recovery_point}`."],
            after=[
                "Check the Azure VMs, move DNS and clients, keep the EC2 sources stopped (they are the way back"
                " until `complete`).",
                "Then set `lifecycle.phase: complete` and run `pulumi up`.",
            ],
        )
    return PhaseSteps(
        before=["The Azure VMs serve production; nobody needs the EC2 sources any more."],
        up=[
            f"{IRREVERSIBLE}: complete the migration of {names}: replication is removed and its billing stops.",
            "Prepare each VM for disaster recovery: check the Azure VM agent, remove the Mobility service, restart.",
        ],
        after=[
            f"Hand the outputs to the DR stack: `pulumi stack output machines -s {wave.name}` (`drReady` machines).",
            "Decommission the EC2 sources when your retention rules allow.",
        ],
    )


def machines_by_phase(wave: WaveConfig) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {phase: [] for phase in PHASES}
    for machine in wave.machines:
        if not machine.retire:
            grouped[wave.phase_of(machine)].append(machine.name)
    return {phase: names for phase, names in grouped.items() if names}


def render_steps(wave: WaveConfig, stack: str, missing_secrets: list[str]) -> str:
    """The runbook's steps: per phase present in the wave, before / `pulumi up` / after."""
    parts = [f"First `pulumi preview -s {stack}`, and compare it with this runbook."]
    for phase, names in machines_by_phase(wave).items():
        steps = phase_steps(wave, phase, names, missing_secrets if phase == "replicate" else [])
        parts.append(f"### Machines in `{phase}`: {', '.join(names)}")
        parts.append("Before `pulumi up`:\n" + "\n".join(f"- [ ] {s}" for s in steps.before))
        parts.append(f"`pulumi up -s {stack}` will:\n" + "\n".join(f"- {s}" for s in steps.up))
        parts.append("After it:\n" + "\n".join(f"- [ ] {s}" for s in steps.after))
    parts.append(f"Record the stack outputs in the change ticket (`pulumi stack output -s {stack} --json`).")
    return "\n\n".join(parts)


def mermaid(wave: WaveConfig) -> str:
    """A chart of the phases in order with this wave's machines in each, for a change board."""
    grouped = machines_by_phase(wave)
    nodes = []
    for phase in PHASES:
        names = grouped.get(phase, [])
        label = f"{phase}<br/>{'<br/>'.join(names)}" if names else phase
        style = ":::here" if names else ""
        nodes.append(f'  {phase}["{label}"]{style}')
    chain = "  " + " --> ".join(PHASES)
    return "\n".join(["```mermaid", "flowchart LR", *nodes, chain, "  classDef here stroke-width:3px", "```"])

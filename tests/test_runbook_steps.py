"""The runbook follows the phase: what to do before, what `pulumi up` does, what to do after, per phase (golden)."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import PHASES, parse_wave
from migrate_tool.offline import runbook_steps
from tests.waves import wave


def _wave(phase: str, **changes: Any) -> Any:
    raw = wave(lifecycle={"phase": phase})
    raw["azure"]["vault"] = "rsv-wave1"
    raw.update(changes)
    return parse_wave(raw)


GOLDEN = {
    "replicate": """\
First `pulumi preview -s wave1`, and compare it with this runbook.

### Machines in `replicate`: web01, db01

Before `pulumi up`:
- [ ] A new wave needs no secret for its first `pulumi up`: it creates the landing zone, the vault and the appliance host, and stops before replication with the next steps (stack output `pendingSteps`).
- [ ] Then register the replication appliance by hand: in the portal, vault `rsv-wave1` > Site Recovery infrastructure > ASR replication appliances > Add, generate the appliance key; RDP to the appliance host `asr-appliance-01` (from `203.0.113.0/24`), open the appliance configuration manager and paste the key (Microsoft documents no unattended registration).
- [ ] Copy the appliance's passphrase into `pulumi config set --secret migration:appliancePassphrase <value>`; the next `pulumi up` then prepares, discovers and replicates the machines.

`pulumi up -s wave1` will:
- Create or keep the landing zone, vault, replication policy and appliance host; once the passphrase is set, wait (up to 60 min) for the appliance to be registered.
- Enable replication of `web01`, `db01` (initial replication then runs in ASR, outside `pulumi up`).
- Clean up a test failover only if one is still up (after a move back from `test`); on a wave never tested the cleanup finds nothing and sends nothing.

After it:
- [ ] `python3 migrate.py status wave1 --watch` until `web01`, `db01` show `ready to test`.
- [ ] Then set `lifecycle.phase: test` (or the machines' `phase`) and run `pulumi up` again.

Record the stack outputs in the change ticket (`pulumi stack output -s wave1 --json`).""",
    "test": """\
### Machines in `test`: web01, db01

Before `pulumi up`:
- [ ] `python3 migrate.py status wave1` shows `web01`, `db01` as `ready to test`.

`pulumi up -s wave1` will:
- Test failover of `web01`, `db01` into the isolated network `myMigrationNetwork-test` (recovery point `latest`); the EC2 sources keep running.

After it:
- [ ] Check the test VMs (sign-in, services, application smoke tests); they have no route out.
- [ ] Write what you saw into `lifecycle.cleanupNotes` (kept in the audit trail), then set `lifecycle.phase: tested` and run `pulumi up` to clean up.""",
    "tested": """\
### Machines in `tested`: web01, db01

Before `pulumi up`:
- [ ] The test VMs were checked and `lifecycle.cleanupNotes` says what was seen.

`pulumi up -s wave1` will:
- Clean up the test failover of `web01`, `db01`: the test VMs are deleted, the notes recorded.

After it:
- [ ] Schedule the cutover within 7 days (`lifecycle.testFailoverMaxAgeDays`): an older test failover no longer allows it.""",
    "cutover": """\
### Machines in `cutover`: web01, db01

Before `pulumi up`:
- [ ] Announce the downtime: the EC2 sources stop and users move to Azure.
- [ ] Each of `web01`, `db01` has a cleaned-up test failover at most 7 days old (the failover refuses otherwise).

`pulumi up -s wave1` will:
- **IRREVERSIBLE**: stop the EC2 sources through the AWS API (`lifecycle.shutdownSource`), then fail `web01`, `db01` over to Azure at recovery point `latest`.

After it:
- [ ] Check the Azure VMs, move DNS and clients, keep the EC2 sources stopped (they are the way back until `complete`).
- [ ] Then set `lifecycle.phase: complete` and run `pulumi up`.""",
    "complete": """\
### Machines in `complete`: web01, db01

Before `pulumi up`:
- [ ] The Azure VMs serve production; nobody needs the EC2 sources any more.

`pulumi up -s wave1` will:
- **IRREVERSIBLE**: complete the migration of `web01`, `db01`: replication is removed and its billing stops.
- Prepare each VM for disaster recovery: check the Azure VM agent, remove the Mobility service, restart.

After it:
- [ ] Hand the outputs to the DR stack: `pulumi stack output machines -s wave1` (`drReady` machines).
- [ ] Decommission the EC2 sources when your retention rules allow.""",
}


@pytest.mark.parametrize("phase", PHASES)
def test_the_steps_are_those_of_the_phase(phase: str) -> None:
    steps = runbook_steps.render_steps(_wave(phase), "wave1", ["migration:appliancePassphrase"])
    if phase == "replicate":
        assert steps == GOLDEN[phase]
    else:
        section = steps.split("\n\n", 1)[1].rsplit("\n\nRecord the stack outputs", 1)[0]
        assert section == GOLDEN[phase]
    # Nothing of another phase leaks in: at cutover nobody is told to watch the appliance register.
    for other in set(PHASES) - {phase}:
        assert f"### Machines in `{other}`" not in steps
    assert ("register the replication appliance" in steps) == (phase == "replicate")
    assert ("IRREVERSIBLE" in steps) == (phase in ("cutover", "complete"))


def test_a_mixed_wave_gets_each_group_its_own_steps_and_the_skip_reason_in_words() -> None:
    raw = wave(lifecycle={"phase": "tested"})
    raw["machines"][1].update(phase="cutover", skipTestFailover="stateless batch host, rebuilt nightly")
    steps = runbook_steps.render_steps(parse_wave(raw), "wave1", [])
    assert steps.index("### Machines in `tested`: web01") < steps.index("### Machines in `cutover`: db01")
    assert (
        "- [ ] `db01` cuts over without a test failover; reason given: stateless batch host, rebuilt nightly" in steps
    )
    assert "{" not in steps  # no dumped Python dict


def test_classic_registers_itself_and_a_source_left_running_is_said() -> None:
    raw = wave(architecture="classic", lifecycle={"phase": "cutover", "shutdownSource": False})
    replicate = runbook_steps.render_steps(parse_wave(wave(architecture="classic")), "t", [])
    assert "registers itself with the vault credentials" in replicate and "register the replication" not in replicate
    cutover = runbook_steps.render_steps(parse_wave(raw), "t", [])
    assert "leave the EC2 sources running (`lifecycle.shutdownSource: false`)" in cutover


def test_the_chart_marks_the_phases_that_hold_machines() -> None:
    raw = wave(lifecycle={"phase": "test"})
    raw["machines"][1]["phase"] = "tested"
    chart = runbook_steps.mermaid(parse_wave(raw))
    assert chart.splitlines()[:2] == ["```mermaid", "flowchart LR"]
    assert '  test["test<br/>web01"]:::here' in chart and '  tested["tested<br/>db01"]:::here' in chart
    assert '  cutover["cutover"]' in chart and "replicate --> test --> tested --> cutover --> complete" in chart

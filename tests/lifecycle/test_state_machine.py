"""The lifecycle's state machine: transitions, the actions each phase declares, and PhaseRecord's check."""

from __future__ import annotations

import itertools

import pytest

from components.lifecycle import PHASES, PhaseActions, PhaseRecordProvider, actions_for_phase, transition_problem


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (None, "cutover"),  # first record: any phase
        ("replicate", "replicate"),
        ("replicate", "test"),
        ("test", "tested"),
        ("tested", "cutover"),
        ("cutover", "complete"),
        ("test", "replicate"),  # the one step back: cleans the test failover up
    ],
)
def test_allowed_transitions(old: str | None, new: str) -> None:
    assert transition_problem("web01", old, new) is None


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "tested",
            "test",
            "web01: moving back from tested to test is refused: the test failover was run and cleaned up",
        ),
        (
            "cutover",
            "tested",
            "web01: moving back from cutover to tested is refused: the machine has failed over to Azure",
        ),
        (
            "complete",
            "replicate",
            "web01: moving back from complete to replicate is refused: the migration is complete",
        ),
        ("replicate", "tested", "web01: replicate -> tested skips phases; move one step at a time: next is test"),
        ("tested", "complete", "web01: tested -> complete skips phases; move one step at a time: next is cutover"),
        ("replicate", "cutover", "next is test (or set machines[].skipTestFailover to go from replicate to cutover)"),
    ],
)
def test_refused_transitions_explain_why(old: str, new: str, message: str) -> None:
    problem = transition_problem("web01", old, new)
    assert problem is not None and message in problem, problem


def test_skip_test_failover_allows_replicate_to_cutover_only() -> None:
    assert transition_problem("web01", "replicate", "cutover", "rebuilt from scratch, nothing to test") is None
    assert transition_problem("web01", "replicate", "complete", "reason") is not None


@pytest.mark.parametrize(
    ("phase", "skip", "expected"),
    [
        ("replicate", False, PhaseActions(False, True, False, False)),
        ("test", False, PhaseActions(True, False, False, False)),
        ("tested", False, PhaseActions(True, True, False, False)),
        ("cutover", False, PhaseActions(True, True, True, False)),
        ("complete", False, PhaseActions(True, True, True, True)),
        ("cutover", True, PhaseActions(False, False, True, False)),
        ("complete", True, PhaseActions(False, False, True, True)),
    ],
)
def test_each_phase_adds_exactly_its_action(phase: str, skip: bool, expected: PhaseActions) -> None:
    assert actions_for_phase(phase, skip) == expected


def test_one_step_forward_adds_one_action() -> None:
    for before, after in itertools.pairwise(PHASES[1:]):
        added = [
            k
            for k, v in vars(actions_for_phase(after, False)).items()
            if v and not vars(actions_for_phase(before, False))[k]
        ]
        assert len(added) == 1, (before, after, added)


def test_phase_record_check_refuses_per_machine_and_is_pure() -> None:
    olds = {"wave": "w", "phases": {"web01": "cutover", "db01": "test"}, "skip_test_failover": {}}
    news = {"wave": "w", "phases": {"web01": "tested", "db01": "replicate", "app01": "test"}, "skip_test_failover": {}}
    result = PhaseRecordProvider().check(olds, news)
    assert [f.reason for f in result.failures] == [
        "web01: moving back from cutover to tested is refused: the machine has failed over to Azure; the program"
        " never fails back or undoes a failover"
    ]
    assert olds["phases"] == {"web01": "cutover", "db01": "test"}


def test_phase_record_keeps_the_previous_phases() -> None:
    provider = PhaseRecordProvider()
    olds = {"wave": "w", "phases": {"web01": "test"}, "skip_test_failover": {}, "version": "1"}
    news = {**olds, "phases": {"web01": "tested"}}
    assert provider.diff("id", olds, news).changes
    assert (provider.update("id", olds, news).outs or {}).get("previous_phases") == {"web01": "test"}

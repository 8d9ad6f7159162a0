"""`policy/migration_facts.py` and `components/migration_facts.py`: what the pack and the program share, the same."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pulumi.dynamic

import components.migration_wave  # noqa: F401  (imports every dynamic resource class of the program)
from components import azure_pairs, migration_facts, naming
from migrate_tool.policy_check import load_policies_module

ROOT = Path(__file__).resolve().parents[2]
PACK_FACTS = ROOT / "policy" / "migration_facts.py"
FACTS = ROOT / "components" / "migration_facts.py"
RULES = ("storage_account_rule", "resource_group_rule", "vault_rule", "virtual_network_rule", "subnet_rule",
         "replication_policy_rule", "vm_name_rule")  # fmt: skip


def test_the_pack_runs_on_its_own_without_the_program() -> None:
    """Published alone (pulumi-policy and its own directory only), the pack builds and imports nothing of ours."""
    code = (
        "import sys; import policies;"
        " own = sorted(m for m in sys.modules if m.split('.')[0] in ('components', 'migrate_tool', 'policy', 'tests'));"
        " print(len(policies.build_policies()), own)"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, '.'); {code}"],
        cwd=ROOT / "policy", capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    count, own = done.stdout.split(" ", 1)
    assert int(count) > 10 and own.strip() == "[]"


def test_the_packs_copy_of_the_facts_is_the_programs() -> None:
    """The pack publishes alone, so it keeps its own copy; a change to one copy only fails here."""
    assert PACK_FACTS.read_bytes() == FACTS.read_bytes()


def test_the_program_and_the_pack_use_the_same_rules_and_pairs() -> None:
    load_policies_module()  # the pack's modules import the ones beside them, as under the CLI
    naming_family, region_family = (
        importlib.import_module("naming_policies"),
        importlib.import_module("region_policies"),
    )
    for rule in RULES:
        assert Path(getattr(naming, rule).__code__.co_filename) == FACTS, rule
        assert Path(getattr(naming_family, rule).__code__.co_filename) == PACK_FACTS, rule
    assert azure_pairs.AZURE_REGION_PAIRS is migration_facts.AZURE_REGION_PAIRS
    assert region_family.AZURE_REGION_PAIRS == migration_facts.AZURE_REGION_PAIRS


def _declared_tokens() -> set[str]:
    found, stack = set(), list(pulumi.dynamic.Resource.__subclasses__())
    while stack:
        cls = stack.pop()
        found.add(f"pulumi-python:{cls._resource_type_name}")
        stack += cls.__subclasses__()
    return found


def test_every_type_token_the_pack_looks_for_is_a_resource_the_program_declares() -> None:
    """Renaming a dynamic resource class without the facts would leave the pack blind to it."""
    tokens = {
        value
        for name, value in vars(migration_facts).items()
        if name.isupper() and isinstance(value, str) and value.startswith("pulumi-python:dynamic/") and ":" in value[14:]
        and not value.endswith(":") and value != migration_facts.FAILOVER_COMMIT  # the one the pack refuses
    }  # fmt: skip
    assert tokens and tokens <= _declared_tokens(), tokens - _declared_tokens()

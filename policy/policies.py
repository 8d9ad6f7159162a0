"""The migration guard rails: CrossGuard validators for the wave stacks, built by `build_policies`.

Every validator compares exact type tokens and the camelCase input names the engine hands over.
The pack is self-contained (it only needs `pulumi-policy`), so it can also be published to Pulumi
Cloud and enforced through a policy group; what it shares with the program (Azure naming rules, region
pairs, type tokens, result words) lives beside it in `migration_facts.py`, of which the program has an identical copy.

Stack config. `ResourceValidationArgs` and `StackValidationArgs` (pulumi-policy 1.21.0) carry the
policy's own config and the stack tags, not the stack's config. The CLI does hand the stack's config
to the policy pack process in `PULUMI_CONFIG` (read through `pulumi.runtime.get_config`), which is
what `pulumi_stack_config` returns. The offline plan passes its own reader instead (see
`migrate_tool/policy_check.py`), so the same validators run in both places.

Keys read (planned keys marked; their shape is documented in docs/policy.md):
- `migration:wave`: `azure.location`, `aws.region`, `architecture`, `machines[].name/os`;
  planned: `lifecycle.phase`, `machines[].phase`, `machines[].skipTestFailover`.
- planned: `migration:dr` (`{primaryLocation?, location}`) marks a DR stack.
- `aws:region`: the default AWS provider's region, when a resource has no explicit provider.
"""

from __future__ import annotations

from lifecycle_policies import lifecycle_policies
from naming_policies import naming_policies
from pack_base import StackConfig, pulumi_stack_config
from pulumi_policy import Policy
from region_policies import region_policies
from security_policies import security_policies

__all__ = ["build_policies", "pulumi_stack_config"]


def build_policies(stack_config: StackConfig = pulumi_stack_config) -> list[Policy]:
    """Every policy of the pack, by family; stack-config-aware validators read `stack_config` when they run."""
    return [
        *naming_policies(stack_config),
        *region_policies(stack_config),
        *security_policies(stack_config),
        *lifecycle_policies(stack_config),
    ]

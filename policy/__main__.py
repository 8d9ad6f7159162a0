"""Entry point the Pulumi CLI runs for `--policy-pack policy`: it only builds the pack.

Constructing a `PolicyPack` starts the analyzer's gRPC server and never returns, so the validators
live in `policies.py`, where tests and the offline plan import them.
"""

from policies import build_policies
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name="asr-migration-guardrails",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=build_policies(),
)

"""What the stand-in provider plugins (tests/cli/standin.py) ask of the test's world: `tests/engine/cloud.py`'s
outputs and records in the fake ASR, the same the engine-faithful tests use, answered over the fake's channel."""

from __future__ import annotations

from typing import Any

from pulumi.runtime import mocks as pulumi_mocks

from tests.engine.cloud import Cloud, FakeSubscriptionMocks
from tests.host_limits import HostLimitError


class World:
    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self.invokes = FakeSubscriptionMocks()

    @staticmethod
    def address_of(fake: Any, typ: str, name: str) -> str:
        """The private IP the world gives an EC2 instance (deterministic, from its type and logical name)."""
        _, state = Cloud(fake).mocks.new_resource(pulumi_mocks.MockResourceArgs(typ, name, {}, "", "", True, []))
        return str(state["privateIp"])

    def __call__(self, op: str, body: Any) -> dict[str, Any]:
        try:
            if op == "create":
                urn: str = body["urn"]
                typ, name = urn.split("::")[2].split("$")[-1], urn.split("::")[-1]
                provider = f"standin-{body['package']}"
                if body.get("region"):
                    self.cloud.mocks.regions[provider] = body["region"]
                resource_id, outputs = self.cloud.apply(typ, name, body["inputs"], provider)
                return {"id": resource_id or body.get("id") or name, "outputs": outputs}
            if op == "invoke":
                answer, _ = self.invokes.call(pulumi_mocks.MockCallArgs(body["token"], body["args"], ""))
                return {"outputs": answer}
        except HostLimitError as refused:
            return {"error": str(refused)}
        return {"error": f"the stand-in world does not answer {op!r}"}

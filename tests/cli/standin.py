"""Stand-ins for the azure-native and aws provider plugins, for the tests that run the real Pulumi CLI (test doubles).

The real plugins cannot be had here. The CLI starts this module as `pulumi-resource-azure-native` or
`pulumi-resource-aws` (tests/cli/bin) and speaks the ResourceProvider gRPC protocol to it. It decides diffs
itself, the way the real providers report them (a changed or unknown name, location, region placement or image is
a replacement, anything else an update; in preview an update keeps the outputs the cloud computed, a create leaves
them unknown), and hands every Create, Update and Invoke to the test's world over the
fake ARM server's stand-in channel (`POST <ASR_ARM_ENDPOINT>/_standin/<op>`, tests/fake_arm/server.py): the same
`tests/engine/cloud.py` the engine-faithful tests use computes the outputs (ARM ids, EC2 ids, private IPs), refuses
what the hosts refuse (tests/host_limits.py), and records a protected item or a recovery plan in the fake ASR for
the dynamic resources to find, which run in the CLI's real `pulumi-resource-pulumi-python` against the fake.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from concurrent import futures
from threading import Event
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import proto
from pulumi.runtime.proto import ResourceProviderServicer, provider_pb2_grpc

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's marker of a value not known in preview
REPLACING = {
    # A different one of these is a different cloud object: the real providers replace (ARM path parameters and
    # location; EC2 placement, image and immutable names).
    "azure-native": ("location",),
    "aws": ("ami", "subnetId", "vpcId", "availabilityZone", "name", "namePrefix", "bucket", "bucketPrefix",
            "serviceName", "vpcEndpointType", "keyName", "resourceId", "key", "networkInterfaceId",
            "securityGroupId", "referencedSecurityGroupId", "cidrIpv4", "fromPort", "toPort", "ipProtocol"),
}  # fmt: skip


def plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(struct, preserving_proto_field_name=True)


def struct(values: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def replacing_keys(package: str, olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
    names = REPLACING[package]
    changed = [k for k in news if olds.get(k) != news[k]]
    if package == "azure-native":  # ARM path parameters: every `...Name` input
        return [k for k in changed if k in names or (k.endswith("Name") and k != "displayName")]
    return [k for k in changed if k in names]


class StandIn(ResourceProviderServicer):  # type: ignore[misc]
    def __init__(self, package: str, version: str) -> None:
        self.package, self.version = package, version
        self.world = os.environ["ASR_ARM_ENDPOINT"].rstrip("/") + "/_standin"
        self.region: str | None = None

    def ask(self, op: str, body: dict[str, Any], context: Any) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.world}/{op}",
            json.dumps({"package": self.package, "region": self.region, **body}).encode(),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            reply: dict[str, Any] = json.loads(answer.read())
        if "error" in reply:  # what the service refused, as the real provider reports it
            context.abort(grpc.StatusCode.UNKNOWN, reply["error"])
        return reply

    def GetPluginInfo(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC method names)
        return proto.PluginInfo(version=self.version)

    def CheckConfig(self, request: Any, context: Any) -> Any:  # noqa: N802
        return proto.CheckResponse(inputs=request.news)

    def DiffConfig(self, request: Any, context: Any) -> Any:  # noqa: N802
        return proto.DiffResponse(changes=proto.DiffResponse.DIFF_NONE)

    def Configure(self, request: Any, context: Any) -> Any:  # noqa: N802
        self.region = plain(request.args).get("region") or request.variables.get("aws:config:region")
        return proto.ConfigureResponse(acceptSecrets=False, supportsPreview=True, acceptResources=False)

    def Check(self, request: Any, context: Any) -> Any:  # noqa: N802
        return proto.CheckResponse(inputs=request.news)

    def Diff(self, request: Any, context: Any) -> Any:  # noqa: N802
        # Against the old inputs, as the real providers diff (the old outputs hold what the cloud added: ids, ...).
        olds = plain(request.old_inputs) if request.HasField("old_inputs") else plain(request.olds)
        news = plain(request.news)
        changed = [k for k in news if olds.get(k) != news[k]]
        replaces = replacing_keys(self.package, olds, news)
        return proto.DiffResponse(
            changes=proto.DiffResponse.DIFF_SOME if changed else proto.DiffResponse.DIFF_NONE,
            replaces=replaces,
            diffs=changed,
            deleteBeforeReplace=False,
        )

    def Create(self, request: Any, context: Any) -> Any:  # noqa: N802
        if request.preview:  # what is computed stays unknown until it is created
            return proto.CreateResponse(properties=request.properties)
        reply = self.ask("create", {"urn": request.urn, "inputs": plain(request.properties)}, context)
        return proto.CreateResponse(id=reply["id"], properties=struct(reply["outputs"]))

    def Update(self, request: Any, context: Any) -> Any:  # noqa: N802
        if request.preview:  # an update in place keeps what the cloud computed (ids, names), as the real ones show
            return proto.UpdateResponse(properties=struct({**plain(request.olds), **plain(request.news)}))
        reply = self.ask("create", {"urn": request.urn, "inputs": plain(request.news), "id": request.id}, context)
        return proto.UpdateResponse(properties=struct(reply["outputs"]))

    def Read(self, request: Any, context: Any) -> Any:  # noqa: N802
        return proto.ReadResponse(id=request.id, properties=request.properties, inputs=request.inputs)

    def Delete(self, request: Any, context: Any) -> Any:  # noqa: N802
        return empty_pb2.Empty()

    def Invoke(self, request: Any, context: Any) -> Any:  # noqa: N802
        reply = self.ask("invoke", {"token": request.tok, "args": plain(request.args)}, context)
        return proto.InvokeResponse(**{"return": struct(reply["outputs"])})

    def Cancel(self, request: Any, context: Any) -> Any:  # noqa: N802
        return empty_pb2.Empty()


def main(package: str, version: str) -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(StandIn(package, version), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    Event().wait()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

"""Prepare a wave's EC2 source machines through AWS Systems Manager (the seed's "prepare the EC2 instances").

Resources (all children of the component, so they use the region's aws.Provider the parent got):

- `aws.ec2.Tag` `migration-wave=<wave>` on every machine's instance: what the Mobility association
  targets, so exactly the wave's machines are prepared and an instance added to the wave later is
  picked up by the same association.
- Appliance access: the appliance host's sources security group, attached to every machine's primary network
  interface (`aws.ec2.NetworkInterfaceSecurityGroupAttachment`, beside the groups it already has), which the
  appliance admits on its replication ports; removing a machine from the wave detaches it.
- Local-account policy (only for the machines with `local_account`, all Windows): an
  SSM Command document that sets `LocalAccountTokenFilterPolicy` = 1 (DWORD) under
  `HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System`, and an association that
  targets those instance ids explicitly: it lowers remote UAC filtering, so it goes nowhere by tag.
- Mobility agent (when `mobility_installer_s3_uri` and the passphrase are given): the passphrase as an SSM
  SecureString parameter, an SSM Command document with a Windows and a Linux step (platform
  preconditions), and one association targeting `tag:migration-wave = <wave>`. The document
  installs the agent from the installers you copied to S3 and registers it with the appliance.

The passphrase never appears in the document, the association parameters, an output or a log:
SSM Command documents cannot resolve SecureString references in their parameters ("SSM documents
currently don't support references to Secure String parameters", AWS Systems Manager User Guide,
"About Systems Manager parameters"), so the document receives only the parameter *name* and the
script on the instance reads the value with decryption at run time (the pattern the same guide
shows with `Get-SSMParameterValue -WithDecryption`), writes it to a file only SYSTEM/root can read,
passes that file to the configurator and deletes it. In Pulumi state the value is a secret
(pulumi-aws marks `ssm.Parameter.value` secret, and the input is the secret Output from config).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.architecture import PROFILES
from components.naming import WAVE_TAG

AGENT_GROUP_TAG = "migration-agent-group"
"""Tags the machines of a wave on a foundation with `<wave>/<appliance>`: what each appliance's association targets."""

INSTALL_DIR_WINDOWS = r"C:\Program Files (x86)\Microsoft Azure Site Recovery"
INSTALL_DIR_LINUX = "/usr/local/ASR"


@dataclass(frozen=True)
class SourceMachine:
    """One source machine as its preparation needs it (validated by components/config.py)."""

    name: str
    instance_id: str
    local_account: bool = False
    """Windows only: replication uses a local, not a domain, account (the local-account policy applies)."""


@dataclass(frozen=True)
class SourcePreparationArgs:
    wave_name: str
    machines: Sequence[SourceMachine]
    tags: Mapping[str, str]
    agent_cs_type: str
    """The architecture's Mobility `/CSType` (components/architecture.py)."""
    appliance_private_ip: pulumi.Input[str]
    passphrase: pulumi.Output[str] | None
    """The appliance passphrase (secret), or None while it is staged: then no agent is installed."""
    appliance_access_group_id: pulumi.Input[str] | None = None
    """The security group the appliance admits on its replication ports (`ApplianceHost.sources_security_group_id`),
    attached to each machine's primary network interface beside the groups it has."""
    installer_endpoint_url: pulumi.Input[str] | None = None
    """The wave bucket's S3 interface endpoint (components/agent_bucket.py), the only way its installers are read."""
    mobility_installer_s3_uri: pulumi.Input[str] | None = None
    """`s3://bucket/prefix/` holding the Mobility installers: the operator's (`aws.mobilityInstallerS3Uri`) or the
    wave bucket the appliance host publishes to (components/agent_bucket.py); without it no agent is installed."""
    appliance: str | None = None
    """A wave on a foundation: the pool appliance these machines register with. Each appliance's machines get their
    own tag `migration-agent-group = <wave>/<appliance>`, which their Mobility association targets, and their own
    passphrase parameter; None: the wave's own appliance, targeted by the wave tag."""


def local_account_document() -> dict[str, Any]:
    return {
        "schemaVersion": "2.2",
        "description": "Set LocalAccountTokenFilterPolicy=1 so a local administrator account can be used remotely"
        " (Azure Site Recovery: prepare the EC2 instances).",
        "mainSteps": [
            {
                "action": "aws:runPowerShellScript",
                "name": "setLocalAccountTokenFilterPolicy",
                "precondition": {"StringEquals": ["platformType", "Windows"]},
                "inputs": {
                    "runCommand": [
                        "$key = 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System'",
                        "New-ItemProperty -Path $key -Name LocalAccountTokenFilterPolicy -PropertyType DWord -Value 1 -Force | Out-Null",
                        "'LocalAccountTokenFilterPolicy=' + (Get-ItemProperty -Path $key).LocalAccountTokenFilterPolicy",
                    ]
                },
            }
        ],
    }


# SSM puts document parameters into the script text. Each is assigned once, inside single quotes, and
# used only through its variable, so a value never reaches an expanding context; the parameters'
# allowedPattern / allowedValues (below) admit no quote of any kind, so none can leave its string.
_WINDOWS_MOBILITY = [
    "$installerUri = '{{ InstallerS3Uri }}'",
    "$endpointUrl = '{{ InstallerEndpointUrl }}'",
    "$applianceIp = '{{ ApplianceIp }}'",
    "$csType = '{{ CsType }}'",
    "$passphraseParameter = '{{ PassphraseParameter }}'",
    "$ErrorActionPreference = 'Stop'",
    f"$installDir = '{INSTALL_DIR_WINDOWS}'",
    "$configurator = Join-Path $installDir 'agent\\UnifiedAgentConfigurator.exe'",
    "if (-not (Test-Path $configurator)) {",
    "  $work = Join-Path $env:ProgramData 'ASRSetupLogs\\installer'",
    "  New-Item -ItemType Directory -Force -Path $work | Out-Null",
    "  $uri = $installerUri -replace '^s3://', ''",
    "  $bucket, $prefix = $uri.Split('/', 2)",
    "  $through = @{}; if ($endpointUrl) { $through = @{ EndpointUrl = $endpointUrl } }",
    "  Read-S3Object -BucketName $bucket -KeyPrefix $prefix -Folder $work @through | Out-Null",
    "  $exe = Get-ChildItem -Path $work -Recurse -Filter 'Microsoft-ASR_UA*Windows*release.exe' | Select-Object -First 1",
    '  if (-not $exe) { throw "no Microsoft-ASR_UA*Windows*release.exe under $installerUri" }',
    "  $extracted = Join-Path $work 'extracted'",
    "  & $exe.FullName /q /x:$extracted | Out-Null",
    "  $setup = if ($csType -eq 'CSPrime') { 'UnifiedAgentInstaller.exe' } else { 'UnifiedAgent.exe' }",
    "  $p = Start-Process -Wait -PassThru -FilePath (Join-Path $extracted $setup) -ArgumentList "
    "@('/Role', 'MS', '/Platform', 'VmWare', '/Silent', '/CSType', $csType, '/InstallLocation', \"`\"$installDir`\"\")",
    '  if ($p.ExitCode -ne 0) { throw "Mobility agent setup exited with $($p.ExitCode); see C:\\ProgramData\\ASRSetupLogs" }',
    "}",
    "$passphraseFile = [System.IO.Path]::GetTempFileName()",
    "try {",
    "  $value = (Get-SSMParameterValue -Name $passphraseParameter -WithDecryption $true).Parameters[0].Value",
    "  [System.IO.File]::WriteAllText($passphraseFile, $value)",
    "  Remove-Variable value",
    "  $p = Start-Process -Wait -PassThru -FilePath $configurator -ArgumentList "
    "@('/CSEndPoint', $applianceIp, '/PassphraseFilePath', \"`\"$passphraseFile`\"\", '/CSType', $csType)",
    '  if ($p.ExitCode -ne 0) { throw "registration with $applianceIp exited with $($p.ExitCode); see C:\\ProgramData\\ASRSetupLogs" }',
    '  "Mobility agent registered with $applianceIp ($csType)"',
    "} finally { Remove-Item -Force $passphraseFile -ErrorAction SilentlyContinue }",
]

_LINUX_MOBILITY = [
    "#!/bin/bash",
    "set -eu",
    "installer_uri='{{ InstallerS3Uri }}'",
    "endpoint_url='{{ InstallerEndpointUrl }}'",
    "appliance_ip='{{ ApplianceIp }}'",
    "cs_type='{{ CsType }}'",
    "passphrase_parameter='{{ PassphraseParameter }}'",
    f"configurator={INSTALL_DIR_LINUX}/Vx/bin/UnifiedAgentConfigurator.sh",
    'region="${AWS_SSM_REGION_NAME:-}"',
    'if [ ! -x "$configurator" ]; then',
    "  if [ -r /etc/os-release ]; then . /etc/os-release; else ID=rhel; VERSION_ID=$(sed -n 's/.*release \\([0-9.]*\\).*/\\1/p' /etc/redhat-release); fi",
    '  major="${VERSION_ID%%.*}"',
    '  case "$ID" in',
    '    rhel|centos|rocky|almalinux) suffix="RHEL${major}-64" ;;',
    '    ol) suffix="OL${major}-64" ;;',
    '    sles) suffix="SLES${major}-64" ;;',
    '    ubuntu) suffix="UBUNTU-${VERSION_ID}-64" ;;',
    '    debian) suffix="DEBIAN${major}-64" ;;',
    '    *) echo "no Mobility agent build for $ID $VERSION_ID" >&2; exit 1 ;;',
    "  esac",
    "  work=$(mktemp -d)",
    '  aws s3 cp "$installer_uri" "$work" --recursive --exclude "*" --include "Microsoft-ASR_UA_*_${suffix}_*release.tar.gz"'
    ' ${region:+--region "$region"} ${endpoint_url:+--endpoint-url "$endpoint_url"}',
    '  archive=$(find "$work" -name "Microsoft-ASR_UA_*_${suffix}_*release.tar.gz" | head -n1)',
    '  [ -n "$archive" ] || { echo "no Microsoft-ASR_UA_*_${suffix}_*release.tar.gz under $installer_uri" >&2; exit 1; }',
    '  tar -xzf "$archive" -C "$work"',
    f'  (cd "$work" && ./install -q -r MS -v VmWare -d {INSTALL_DIR_LINUX} -c "$cs_type")',
    '  rm -rf "$work"',
    "fi",
    "umask 077",
    "passphrase_file=$(mktemp)",
    "trap 'rm -f \"$passphrase_file\"' EXIT",
    'aws ssm get-parameter --name "$passphrase_parameter" --with-decryption --query Parameter.Value --output text'
    ' ${region:+--region "$region"} > "$passphrase_file"',
    '"$configurator" -i "$appliance_ip" -P "$passphrase_file" -c "$cs_type"',
    'echo "Mobility agent registered with $appliance_ip ($cs_type)"',
]


def mobility_document() -> dict[str, Any]:
    """Install the Mobility agent (once) and register it with the appliance; parameters carry no secret."""
    return {
        "schemaVersion": "2.2",
        "description": "Install the Azure Site Recovery Mobility agent and register it with the wave's appliance.",
        "parameters": {
            "ApplianceIp": {
                "type": "String",
                "description": "Private IP of the appliance / configuration server.",
                "allowedPattern": r"^\d{1,3}(\.\d{1,3}){3}$",
            },
            "CsType": {
                "type": "String",
                "description": " or ".join(f"{p.agent_cs_type} ({p.name})" for p in PROFILES.values()) + ".",
                "allowedValues": [p.agent_cs_type for p in PROFILES.values()],
            },
            "InstallerS3Uri": {
                "type": "String",
                "description": "s3://bucket/prefix/ holding the Mobility installers.",
                "allowedPattern": r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9._/-]*)?$",
            },
            "InstallerEndpointUrl": {
                "type": "String",
                "description": "The wave bucket's S3 interface endpoint address to read through; empty for your own.",
                "default": "",
                "allowedPattern": r"^(https://[a-z0-9.-]+)?$",
            },
            "PassphraseParameter": {
                "type": "String",
                "description": "Name (not value) of the SecureString parameter holding the appliance passphrase.",
                "allowedPattern": r"^/[A-Za-z0-9_./-]+$",
            },
        },
        "mainSteps": [
            {
                "action": "aws:runPowerShellScript",
                "name": "mobilityWindows",
                "precondition": {"StringEquals": ["platformType", "Windows"]},
                "inputs": {"runCommand": _WINDOWS_MOBILITY, "timeoutSeconds": "3600"},
            },
            {
                "action": "aws:runShellScript",
                "name": "mobilityLinux",
                "precondition": {"StringEquals": ["platformType", "Linux"]},
                "inputs": {"runCommand": _LINUX_MOBILITY, "timeoutSeconds": "3600"},
            },
        ],
    }


class SourcePreparation(pulumi.ComponentResource):
    """SSM-driven preparation of a wave's source machines; see the module docstring for what and why."""

    preparations: pulumi.Output[dict[str, list[str]]]
    """Per machine name, which preparations apply ('wave-tag', 'local-account-policy', 'mobility-agent')."""
    wave_tag_ids: dict[str, pulumi.Output[str]]
    """Per machine name, the id of its `migration-wave` tag resource."""
    association_ids: dict[str, pulumi.Output[str]]
    association_names: dict[str, str]
    document_names: dict[str, str]
    passphrase_parameter_name: str | None

    def __init__(self, name: str, args: SourcePreparationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("migration:aws:SourcePreparation", name, None, opts)
        wave_name, machines = args.wave_name, list(args.machines)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        group = f"{wave_name}/{args.appliance}" if args.appliance else None
        prefix = f"migration-{wave_name}" + (f"-{args.appliance}" if args.appliance else "")
        applied: dict[str, list[str]] = {m.name: ["wave-tag"] for m in machines}
        self.association_ids, self.association_names, self.document_names = {}, {}, {}
        self.passphrase_parameter_name = None

        wave_tags = [
            aws.ec2.Tag(
                f"{name}-wave-tag-{m.name}", resource_id=m.instance_id, key=WAVE_TAG, value=wave_name, opts=child
            )
            for m in machines
        ]
        if group:
            wave_tags += [
                aws.ec2.Tag(
                    f"{name}-agent-group-tag-{m.name}",
                    resource_id=m.instance_id,
                    key=AGENT_GROUP_TAG,
                    value=group,
                    opts=child,
                )
                for m in machines
            ]

        self.appliance_access_ids: dict[str, pulumi.Output[str]] = {}
        if args.appliance_access_group_id is not None:
            for m in machines:
                # Added beside the instance's own groups (AWS allows 5 per interface by default; discover checks).
                interface = aws.ec2.get_instance_output(
                    instance_id=m.instance_id, opts=pulumi.InvokeOutputOptions(parent=self)
                ).network_interface_id
                self.appliance_access_ids[m.name] = aws.ec2.NetworkInterfaceSecurityGroupAttachment(
                    f"{name}-appliance-access-{m.name}",
                    security_group_id=args.appliance_access_group_id,
                    network_interface_id=interface,
                    opts=child,
                ).id
                applied[m.name].append("appliance-access")

        local = [m for m in machines if m.local_account]
        if local:
            document = aws.ssm.Document(
                f"{name}-local-account-policy",
                name=f"{prefix}-local-account-policy",
                document_type="Command",
                document_format="JSON",
                content=json.dumps(local_account_document(), indent=2),
                tags=tags,
                opts=child,
            )
            association = aws.ssm.Association(
                f"{name}-local-account-policy",
                association_name=f"{prefix}-local-account-policy",
                name=document.name,
                targets=[aws.ssm.AssociationTargetArgs(key="InstanceIds", values=[m.instance_id for m in local])],
                compliance_severity="HIGH",
                max_errors="0",
                opts=child,
            )
            self._record("local-account-policy", prefix, association)
            for machine in local:
                applied[machine.name].append("local-account-policy")

        # The passphrase is staged (components/stages.py): until it is set, no agent can register, so none is installed.
        if args.mobility_installer_s3_uri is not None and args.passphrase is not None:
            parameter_name = (
                f"/migration/{wave_name}/" + (f"{args.appliance}/" if args.appliance else "") + ("appliance-passphrase")
            )
            parameter = aws.ssm.Parameter(
                f"{name}-appliance-passphrase",
                name=parameter_name,
                type="SecureString",
                value=args.passphrase,
                description=f"ASR appliance passphrase for wave {wave_name}; read on the source machines at run time",
                tags=tags,
                opts=child,
            )
            document = aws.ssm.Document(
                f"{name}-mobility-agent",
                name=f"{prefix}-mobility-agent",
                document_type="Command",
                document_format="JSON",
                content=json.dumps(mobility_document(), indent=2),
                tags=tags,
                opts=child,
            )
            association = aws.ssm.Association(
                f"{name}-mobility-agent",
                association_name=f"{prefix}-mobility-agent",
                name=document.name,
                targets=[
                    aws.ssm.AssociationTargetArgs(key=f"tag:{AGENT_GROUP_TAG}", values=[group])
                    if group
                    else aws.ssm.AssociationTargetArgs(key=f"tag:{WAVE_TAG}", values=[wave_name])
                ],
                parameters={
                    "ApplianceIp": args.appliance_private_ip,
                    "CsType": args.agent_cs_type,
                    "InstallerS3Uri": args.mobility_installer_s3_uri,
                    "InstallerEndpointUrl": args.installer_endpoint_url or "",
                    "PassphraseParameter": parameter.name,
                },
                compliance_severity="HIGH",
                # Again every 30 minutes until it holds on every machine (the document installs once and then only
                # checks): installers the appliance host publishes to the wave bucket appear once it is installed.
                schedule_expression="rate(30 minutes)",
                max_concurrency="10",
                max_errors="10%",
                opts=pulumi.ResourceOptions(parent=self, depends_on=[parameter, *wave_tags]),
            )
            self._record("mobility-agent", prefix, association)
            self.passphrase_parameter_name = parameter_name
            for machine in machines:
                applied[machine.name].append("mobility-agent")

        self.wave_tag_ids = {m.name: tag.id for m, tag in zip(machines, wave_tags[: len(machines)], strict=True)}
        self.preparations = pulumi.Output.from_input(applied)
        self.register_outputs(
            {
                "preparations": self.preparations,
                "waveTagIds": self.wave_tag_ids,
                "applianceAccessIds": self.appliance_access_ids,
                "associationIds": self.association_ids,
                "associationNames": self.association_names,
                "documentNames": self.document_names,
                "passphraseParameterName": self.passphrase_parameter_name,
            }
        )

    def _record(self, role: str, prefix: str, association: aws.ssm.Association) -> None:
        self.association_ids[role] = association.association_id
        self.association_names[role] = f"{prefix}-{role}"
        self.document_names[role] = f"{prefix}-{role}"

"""The PowerShell user data that prepares the ASR appliance host at first boot: pure functions, no Pulumi.

The script holds no secret. It carries the ARN of the wave's AWS Secrets Manager secret and reads the
values at boot with the instance profile, writes only what an installer reads from a file into a folder
that SYSTEM and Administrators alone may open, runs the installer, and deletes the folder again.

Every command, with the document it comes from (also in docs/appliance-host.md):

- `<powershell>` / `<persist>false</persist>`: EC2 user data for Windows runs the script once, at the
  first launch (AWS, "Run commands on your Windows instance at launch", ec2-windows-user-data.html;
  EC2Launch v2 on Windows Server 2022, EC2Config on 2012 R2).
- `Get-Disk` / `Initialize-Disk` / `New-Partition` / `Format-Volume`: Windows Storage module; bring the
  data disk online as `E:`, the drive the appliance support matrix lists for the appliance's data
  (MicrosoftDocs/azure-docs `articles/site-recovery/replication-appliance-support-matrix.md`).
- IMDSv2 token `PUT /latest/api/token`, then `GET /latest/meta-data/local-ipv4` with
  `X-aws-ec2-metadata-token` (AWS, "Use the Instance Metadata Service", IMDSv2; the instance requires
  tokens).
- `Get-SECSecretValue -SecretId <arn> -Region <region>`: AWS Tools for PowerShell, installed on every
  Amazon Windows AMI (AWS Tools for PowerShell user guide, "Installing on Windows"; cmdlet reference
  Get-SECSecretValue). Needs only `secretsmanager:GetSecretValue` on that ARN.
- `icacls <dir> /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F`: SYSTEM and
  BUILTIN\\Administrators only, by well-known SID so it works in any locale (Windows `icacls`).
- classic: `MicrosoftAzureSiteRecoveryUnifiedSetup.exe /q /x:<dir>` then
  `UnifiedSetup.exe /AcceptThirdpartyEULA /ServerMode CS /InstallLocation E:\\ /MySQLCredsFilePath ...
  /VaultCredsFilePath ... /EnvType NonVMWare /PSIP <ip> /CSIP <ip> /PassphraseFilePath ...` and the
  `[MySQLCredentials]` file format (azure-docs `articles/site-recovery/physical-manage-configuration-server.md`,
  "Install from the command line"; download link https://aka.ms/unifiedsetup from the same page).
- modernized: download https://aka.ms/V2ARcmApplianceCreationPowershellZip, extract, run `DRInstaller.ps1`
  as administrator (azure-docs `articles/site-recovery/deploy-vmware-azure-replication-appliance-modernized.md`,
  "Set up the appliance through PowerShell"). Registration with the vault is an interactive sign-in in the
  appliance configuration manager ("Register appliance", same page): Microsoft documents no unattended
  way, so the script says so in its log instead of inventing switches.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from components.architecture import profile

USER_DATA_LIMIT_BYTES = 16 * 1024
"""EC2 accepts at most 16 KB of user data (before base64)."""

CLASSIC_DOWNLOAD_URL = "https://aka.ms/unifiedsetup"
MODERNIZED_DOWNLOAD_URL = "https://aka.ms/V2ARcmApplianceCreationPowershellZip"
MODERNIZED_AGENT_FOLDER = r"E:\Software\Agents"
"""Where the replication appliance keeps the Mobility installers it ships."""
CLASSIC_AGENT_FOLDER = r"{drive}:\home\svsystems\pushinstallsvc\repository"
"""The configuration server's push-install repository under its install location (the data drive here)."""
MANUAL_REGISTRATION_LINE = (
    "MANUAL STEP: Microsoft documents no unattended registration for the replication appliance"
    " (deploy-vmware-azure-replication-appliance-modernized.md, 'Register appliance'). Sign in over RDP,"
    " open the appliance configuration manager, and paste the vault's appliance key: it is the"
    " 'vaultRegistrationKey' field of secret "
)


@dataclass(frozen=True)
class DataDisk:
    """The data disk as Windows should see it: found by size (it is the only raw disk of that size)."""

    size_gb: int
    drive_letter: str = "E"
    label: str = "ASRData"

    def __post_init__(self) -> None:
        if len(self.drive_letter) != 1 or not self.drive_letter.isalpha() or self.drive_letter.upper() in "ABC":
            raise ValueError(f"drive_letter: {self.drive_letter!r} must be one letter from D to Z")
        if self.size_gb < 1:
            raise ValueError(f"size_gb: {self.size_gb!r} must be a positive number of GiB")


POWERSHELL_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
"""PowerShell ends a single-quoted string at any of these, not only at the ASCII apostrophe
(its tokenizer's `IsSingleQuote`: ' and U+2018 to U+201B); inside one, any of them written twice is one."""


def ps_quote(value: str) -> str:
    """A PowerShell single-quoted literal: nothing inside is expanded; every kind of single quote is doubled."""
    return "'" + "".join(c * 2 if c in POWERSHELL_SINGLE_QUOTES else c for c in value) + "'"


_PRELUDE = r"""$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Root = 'C:\ProgramData\ASRSetup'
$Log = Join-Path $Root 'user-data.log'
$Secure = Join-Path $Root 'secure'
New-Item -ItemType Directory -Force -Path $Root | Out-Null
function Write-Log([string]$Message) { Add-Content -Path $Log -Value ((Get-Date).ToString('o') + ' ' + $Message) }
[Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12
"""

# Source: Windows Storage module; E: per replication-appliance-support-matrix.md.
_DATA_DISK = r"""function Initialize-DataDisk {
  $raw = Get-Disk | Where-Object { $_.PartitionStyle -eq 'RAW' -and [math]::Round($_.Size / 1GB) -eq $DataDiskGb } | Select-Object -First 1
  if ($raw) {
    $raw | Initialize-Disk -PartitionStyle GPT -PassThru | New-Partition -DriveLetter $DataDrive -UseMaximumSize |
      Format-Volume -FileSystem NTFS -NewFileSystemLabel $DataLabel -Confirm:$false | Out-Null
    Write-Log "data disk ($DataDiskGb GiB) formatted as ${DataDrive}:"
  }
  if (-not (Test-Path "${DataDrive}:\")) { throw "no ${DataDrive}: drive and no raw $DataDiskGb GiB disk to make it from" }
}
"""

# Source: AWS Tools for PowerShell, Get-SECSecretValue; retried while the instance profile's credentials appear.
_READ_SECRET = r"""function Read-WaveSecret {
  for ($try = 1; $try -le 10; $try++) {
    try { return (Get-SECSecretValue -SecretId $SecretArn -Region $Region).SecretString | ConvertFrom-Json }
    catch { Write-Log "reading the wave secret failed (attempt $try of 10): $($_.Exception.GetType().Name)"; Start-Sleep -Seconds 30 }
  }
  throw "could not read secret $SecretArn with the instance profile"
}
function New-SecureFolder {
  New-Item -ItemType Directory -Force -Path $Secure | Out-Null
  icacls $Secure /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' | Out-Null
  if ($LASTEXITCODE -ne 0) { throw "icacls could not restrict $Secure" }
}
"""

# Source: IMDSv2 (AWS EC2 user guide, "Use the Instance Metadata Service"); the instance requires tokens.
_PRIVATE_IP = r"""function Get-PrivateIp {
  $token = (Invoke-WebRequest -UseBasicParsing -Method Put -Uri 'http://169.254.169.254/latest/api/token' `
    -Headers @{ 'X-aws-ec2-metadata-token-ttl-seconds' = '300' }).Content
  return (Invoke-WebRequest -UseBasicParsing -Uri 'http://169.254.169.254/latest/meta-data/local-ipv4' `
    -Headers @{ 'X-aws-ec2-metadata-token' = $token }).Content
}
"""

# Source: physical-manage-configuration-server.md, "Install from the command line" (switches, sample
# usage, and the [MySQLCredentials] file format).
_CLASSIC = r"""Write-Log 'classic: installing the configuration server with Unified Setup'
Write-Log 'classic is out of support since 15 Nov 2023 and cannot be selected on vaults created after 15 Nov 2022'
$Installer = Join-Path $Root 'MicrosoftAzureSiteRecoveryUnifiedSetup.exe'
$Extracted = Join-Path $Root 'Extracted'
Invoke-WebRequest -UseBasicParsing -Uri $DownloadUrl -OutFile $Installer
$extract = Start-Process -FilePath $Installer -ArgumentList @('/q', "/x:$Extracted") -Wait -PassThru
if ($extract.ExitCode -ne 0) { throw "extracting Unified Setup failed with exit code $($extract.ExitCode)" }
$ip = Get-PrivateIp
$secret = Read-WaveSecret
foreach ($key in 'mysqlRootPassword', 'mysqlUserPassword') {
  if ($secret.$key -match '"') { throw "$key contains a double quote, which the [MySQLCredentials] file cannot hold" }
}
try {
  New-SecureFolder
  $mysqlFile = Join-Path $Secure 'MySQLCredentials.txt'
  $vaultFile = Join-Path $Secure 'vault.VaultCredentials'
  $passphraseFile = Join-Path $Secure 'passphrase.txt'
  $mysql = "[MySQLCredentials]`r`nMySQLRootPassword = `"$($secret.mysqlRootPassword)`"`r`nMySQLUserPassword = `"$($secret.mysqlUserPassword)`"`r`n"
  [IO.File]::WriteAllText($mysqlFile, $mysql)
  [IO.File]::WriteAllText($vaultFile, $secret.vaultRegistrationKey)
  [IO.File]::WriteAllText($passphraseFile, $secret.appliancePassphrase)
  Remove-Variable mysql, secret
  $setupArgs = @('/AcceptThirdpartyEULA', '/ServerMode', 'CS', '/InstallLocation', $InstallLocation,
    '/MySQLCredsFilePath', $mysqlFile, '/VaultCredsFilePath', $vaultFile, '/EnvType', 'NonVMWare',
    '/PSIP', $ip, '/CSIP', $ip, '/PassphraseFilePath', $passphraseFile)
  Write-Log "running UnifiedSetup.exe (CS, NonVMWare, install location $InstallLocation, IP $ip)"
  $setup = Start-Process -FilePath (Join-Path $Extracted 'UnifiedSetup.exe') -WorkingDirectory $Extracted -ArgumentList $setupArgs -Wait -PassThru
  if ($setup.ExitCode -ne 0) { throw "UnifiedSetup.exe exited with code $($setup.ExitCode); see C:\ProgramData\ASRSetupLogs" }
  Write-Log 'configuration server installed and registered with the vault'
} finally {
  if (Test-Path $Secure) { Remove-Item -Recurse -Force $Secure }
  Write-Log 'secret files removed'
}
"""

# Source: deploy-vmware-azure-replication-appliance-modernized.md, "Set up the appliance through PowerShell".
_MODERNIZED = r"""Write-Log 'modernized: installing the replication appliance with DRInstaller.ps1'
$Zip = Join-Path $Root 'DRAppliance.zip'
$Extracted = Join-Path $Root 'DRAppliance'
Invoke-WebRequest -UseBasicParsing -Uri $DownloadUrl -OutFile $Zip
Expand-Archive -Path $Zip -DestinationPath $Extracted -Force
$drInstaller = Get-ChildItem -Path $Extracted -Recurse -Filter 'DRInstaller.ps1' | Select-Object -First 1
if (-not $drInstaller) { throw "DRInstaller.ps1 not found in $DownloadUrl" }
Write-Log 'DRInstaller.ps1 has no documented unattended switches; running it as documented, as administrator'
Push-Location $drInstaller.DirectoryName
try { & powershell.exe -NoProfile -ExecutionPolicy Bypass -File $drInstaller.FullName } finally { Pop-Location }
if ($LASTEXITCODE -ne 0) { throw "DRInstaller.ps1 exited with code $LASTEXITCODE; see C:\ProgramData\ASRLogs" }
Write-Log 'appliance components installed'
Write-Log ($ManualRegistration + $SecretArn)
"""

# Source: AWS Tools for PowerShell, Write-S3Object -Folder -Recurse; the folders are where the appliance keeps the
# installers it would push (docs/aws-side.md, "Mobility agent"). The bucket's policy lets only this host's role write.
_PUBLISH = r"""function Publish-Agents {
  if (-not (Test-Path $AgentFolder)) { throw "no Mobility installers in $AgentFolder after the installation" }
  Write-S3Object -BucketName $AgentBucket -KeyPrefix 'agents/' -Folder $AgentFolder -Recurse -Region $Region
  Write-Log "Mobility installers from $AgentFolder published to s3://$AgentBucket/agents/"
}
"""

_RUN = r"""try {
  Write-Log "user data started (architecture $Architecture)"
  Initialize-DataDisk
  Install-Appliance
  if ($AgentBucket) { Publish-Agents }
  Write-Log 'user data finished'
} catch {
  Write-Log "FAILED: $($_.Exception.Message)"
  exit 1
}
"""


def render_user_data(
    architecture: str, secret_arn: str, region: str, data_disk: DataDisk, agent_bucket: str | None = None
) -> str:
    """The complete user data for the appliance host (`<powershell>` script, runs once at first launch).

    `secret_arn`, `region` and `agent_bucket` (the wave's installer bucket the host publishes the Mobility
    installers to; None: nothing is published) are the only values that vary per wave besides the data disk;
    no secret value is ever an argument, so none can end up in the script.
    """
    classic = profile(architecture).is_classic  # a ValueError for anything but modernized or classic
    if not secret_arn.startswith("arn:"):
        raise ValueError(f"secret_arn: {secret_arn!r} must be a Secrets Manager ARN (arn:...)")
    values = (("secret_arn", secret_arn), ("region", region), ("data_disk.label", data_disk.label),
              ("agent_bucket", agent_bucket or ""))  # fmt: skip
    for field, value in values:
        if "</powershell" in value.lower() or "<persist" in value.lower():
            raise ValueError(f"{field}: {value!r} must not contain a user-data tag, which would end the script")
    drive = data_disk.drive_letter.upper()
    agent_folder = CLASSIC_AGENT_FOLDER.format(drive=drive) if classic else MODERNIZED_AGENT_FOLDER
    parameters = [
        f"$Architecture = {ps_quote(architecture)}",
        f"$SecretArn = {ps_quote(secret_arn)}",
        f"$Region = {ps_quote(region)}",
        f"$DataDiskGb = {int(data_disk.size_gb)}",
        f"$DataDrive = {ps_quote(data_disk.drive_letter.upper())}",
        f"$DataLabel = {ps_quote(data_disk.label)}",
        f"$AgentBucket = {ps_quote(agent_bucket or '')}",
        f"$AgentFolder = {ps_quote(agent_folder)}",
    ]
    if classic:
        parameters += [
            f"$DownloadUrl = {ps_quote(CLASSIC_DOWNLOAD_URL)}",
            f"$InstallLocation = {ps_quote(data_disk.drive_letter.upper() + ':' + chr(92))}",
        ]
    else:
        parameters += [
            f"$DownloadUrl = {ps_quote(MODERNIZED_DOWNLOAD_URL)}",
            f"$ManualRegistration = {ps_quote(MANUAL_REGISTRATION_LINE)}",
        ]
    functions = _DATA_DISK + (_READ_SECRET + _PRIVATE_IP if classic else "") + _PUBLISH
    install = "function Install-Appliance {\n" + textwrap.indent(_CLASSIC if classic else _MODERNIZED, "  ") + "}\n"
    script = (
        "<powershell>\n"
        + "\n".join(parameters)
        + "\n"
        + _PRELUDE
        + functions
        + install
        + _RUN
        + "</powershell>\n<persist>false</persist>\n"
    )
    size = len(script.encode())
    if size > USER_DATA_LIMIT_BYTES:
        raise ValueError(f"user data: {size} bytes exceeds the EC2 limit of {USER_DATA_LIMIT_BYTES} bytes")
    return script

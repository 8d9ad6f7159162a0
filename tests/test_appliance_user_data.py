"""The appliance host's PowerShell user data, rendered by pure functions (no Pulumi involved)."""

from __future__ import annotations

import re

import pytest

from components.appliance_user_data import (
    CLASSIC_DOWNLOAD_URL,
    MODERNIZED_DOWNLOAD_URL,
    USER_DATA_LIMIT_BYTES,
    DataDisk,
    render_user_data,
)

ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:asr-migration-wave1-appliance-20260101-AbCdEf"


def render(architecture: str, disk: DataDisk | None = None, arn: str = ARN, region: str = "eu-west-1") -> str:
    return render_user_data(architecture, arn, region, disk or DataDisk(size_gb=620))


def body(script: str, function: str) -> str:
    """The text of one PowerShell function, up to the next top-level `function` or the end."""
    start = script.index(f"function {function} {{")
    end = script.find("\nfunction ", start + 1)
    return script[start : end if end != -1 else len(script)]


def in_order(text: str, *needles: str) -> bool:
    positions = [text.index(needle) for needle in needles]
    return positions == sorted(positions)


@pytest.mark.parametrize("architecture", ["modernized", "classic"])
def test_script_runs_once_as_powershell_and_fits_ec2_user_data(architecture: str) -> None:
    script = render(architecture)
    assert script.startswith("<powershell>\n")
    assert script.endswith("</powershell>\n<persist>false</persist>\n")
    assert len(script.encode()) < USER_DATA_LIMIT_BYTES
    assert "$ErrorActionPreference = 'Stop'" in script


@pytest.mark.parametrize("architecture", ["modernized", "classic"])
def test_script_carries_the_wave_parameters(architecture: str) -> None:
    script = render(architecture, DataDisk(size_gb=700, drive_letter="f", label="Cache"), region="us-east-2")
    assert f"$SecretArn = '{ARN}'" in script
    assert "$Region = 'us-east-2'" in script
    assert "$Architecture = '" + architecture + "'" in script
    assert "$DataDiskGb = 700" in script
    assert "$DataDrive = 'F'" in script
    assert "$DataLabel = 'Cache'" in script


@pytest.mark.parametrize("architecture", ["modernized", "classic"])
def test_delimiters_balance(architecture: str) -> None:
    """No PowerShell parser is available offline; a template slip usually shows up as an unbalanced brace."""
    script = render(architecture)
    for opening, closing in ("{}", "()", "[]"):
        assert script.count(opening) == script.count(closing), f"{opening}{closing} unbalanced"


def test_data_disk_is_the_raw_disk_of_the_configured_size_formatted_as_the_drive() -> None:
    disk = body(render("classic"), "Initialize-DataDisk")
    assert "$_.PartitionStyle -eq 'RAW'" in disk
    assert "[math]::Round($_.Size / 1GB) -eq $DataDiskGb" in disk
    assert in_order(
        disk,
        "Initialize-Disk -PartitionStyle GPT",
        "New-Partition -DriveLetter $DataDrive -UseMaximumSize",
        "Format-Volume -FileSystem NTFS",
    )
    assert 'if (-not (Test-Path "${DataDrive}:\\")) { throw' in disk


def test_single_quotes_in_parameters_cannot_break_out_of_the_literal() -> None:
    script = render("modernized", arn="arn:aws:secretsmanager:eu-west-1:1:secret:x'; Remove-Item C:\\ -Recurse; '")
    assert "$SecretArn = 'arn:aws:secretsmanager:eu-west-1:1:secret:x''; Remove-Item C:\\ -Recurse; '''" in script


# --- classic -------------------------------------------------------------------------------------


def test_classic_reads_the_secret_with_aws_tools_for_powershell() -> None:
    reader = body(render("classic"), "Read-WaveSecret")
    assert "(Get-SECSecretValue -SecretId $SecretArn -Region $Region).SecretString | ConvertFrom-Json" in reader


def test_classic_secret_folder_is_restricted_to_system_and_administrators() -> None:
    folder = body(render("classic"), "New-SecureFolder")
    assert "icacls $Secure /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F'" in folder
    assert "if ($LASTEXITCODE -ne 0) { throw" in folder


def test_classic_private_ip_comes_from_imdsv2() -> None:
    lookup = body(render("classic"), "Get-PrivateIp")
    assert in_order(
        lookup, "-Method Put -Uri 'http://169.254.169.254/latest/api/token'", "'X-aws-ec2-metadata-token-ttl-seconds'"
    )
    assert in_order(lookup, "latest/meta-data/local-ipv4", "'X-aws-ec2-metadata-token' = $token")


def test_classic_runs_unified_setup_with_the_documented_switches() -> None:
    script = render("classic")
    assert f"$DownloadUrl = '{CLASSIC_DOWNLOAD_URL}'" in script
    assert "$InstallLocation = 'E:\\'" in script
    assert "-ArgumentList @('/q', \"/x:$Extracted\")" in script
    switches = re.search(r"\$setupArgs = @\((.*?)\)\n", script, re.S)
    assert switches is not None
    assert [s.strip() for s in switches.group(1).split(",")] == [
        "'/AcceptThirdpartyEULA'", "'/ServerMode'", "'CS'", "'/InstallLocation'", "$InstallLocation",
        "'/MySQLCredsFilePath'", "$mysqlFile", "'/VaultCredsFilePath'", "$vaultFile", "'/EnvType'", "'NonVMWare'",
        "'/PSIP'", "$ip", "'/CSIP'", "$ip", "'/PassphraseFilePath'", "$passphraseFile",
    ]  # fmt: skip
    assert "(Join-Path $Extracted 'UnifiedSetup.exe')" in script
    assert "if ($setup.ExitCode -ne 0) { throw" in script


def test_classic_mysql_credentials_file_has_the_documented_format() -> None:
    script = render("classic")
    expected = (
        '"[MySQLCredentials]`r`nMySQLRootPassword = `"$($secret.mysqlRootPassword)`"`r`n'
        'MySQLUserPassword = `"$($secret.mysqlUserPassword)`"`r`n"'
    )
    assert expected in script
    assert "[IO.File]::WriteAllText($vaultFile, $secret.vaultRegistrationKey)" in script
    assert "[IO.File]::WriteAllText($passphraseFile, $secret.appliancePassphrase)" in script


def test_classic_secret_files_exist_only_around_the_installer_run() -> None:
    install = body(render("classic"), "Install-Appliance")
    assert in_order(
        install,
        "Invoke-WebRequest -UseBasicParsing -Uri $DownloadUrl",
        "$secret = Read-WaveSecret",
        "New-SecureFolder",
        "[IO.File]::WriteAllText($mysqlFile",
        "Start-Process -FilePath (Join-Path $Extracted 'UnifiedSetup.exe')",
        "} finally {\n    if (Test-Path $Secure) { Remove-Item -Recurse -Force $Secure }",
    )
    for path in (
        "$mysqlFile = Join-Path $Secure",
        "$vaultFile = Join-Path $Secure",
        "$passphraseFile = Join-Path $Secure",
    ):
        assert path in install


def test_classic_log_lines_never_print_a_secret_field() -> None:
    script = render("classic")
    for line in script.splitlines():
        if "Write-Log" in line and "function Write-Log" not in line:
            assert "$secret" not in line and "$mysql" not in line, line


# --- modernized ----------------------------------------------------------------------------------


def test_modernized_installs_with_drinstaller_from_the_documented_download() -> None:
    install = body(render("modernized"), "Install-Appliance")
    assert f"$DownloadUrl = '{MODERNIZED_DOWNLOAD_URL}'" in render("modernized")
    assert in_order(
        install,
        "Invoke-WebRequest -UseBasicParsing -Uri $DownloadUrl -OutFile $Zip",
        "Expand-Archive -Path $Zip -DestinationPath $Extracted",
        "-Recurse -Filter 'DRInstaller.ps1'",
        "& powershell.exe -NoProfile -ExecutionPolicy Bypass -File $drInstaller.FullName",
        "if ($LASTEXITCODE -ne 0) { throw",
    )
    assert "UnifiedSetup" not in install


def test_modernized_says_registration_is_manual_and_reads_no_secret() -> None:
    script = render("modernized")
    assert "MANUAL STEP: Microsoft documents no unattended registration" in script
    assert "Write-Log ($ManualRegistration + $SecretArn)" in script
    # No documented installer input takes a secret, so the modernized script never fetches one.
    assert "Get-SECSecretValue" not in script
    assert "$Secure" not in body(script, "Install-Appliance")


# --- bad input -----------------------------------------------------------------------------------


def test_unknown_architecture_is_rejected_naming_the_value() -> None:
    with pytest.raises(ValueError, match=r"architecture: 'hybrid' must be one of modernized, classic"):
        render("hybrid")


def test_secret_reference_must_be_an_arn() -> None:
    with pytest.raises(ValueError, match=r"secret_arn: 'wave1-secret' must be a Secrets Manager ARN"):
        render("classic", arn="wave1-secret")


@pytest.mark.parametrize("letter", ["C", "1", "EF", ""])
def test_data_drive_must_be_one_letter_from_d_to_z(letter: str) -> None:
    with pytest.raises(ValueError, match=rf"drive_letter: '{letter}' must be one letter from D to Z"):
        DataDisk(size_gb=620, drive_letter=letter)


def test_script_larger_than_ec2_allows_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"exceeds the EC2 limit of 16384 bytes"):
        render("modernized", arn="arn:" + "x" * USER_DATA_LIMIT_BYTES)

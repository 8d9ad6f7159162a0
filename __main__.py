"""Pulumi program: one migration wave per stack (config in stacks/Pulumi.<stack>.yaml)."""

import pulumi

from components.config import WaveConfigError
from components.migration_wave import MigrationWave, MigrationWaveArgs
from components.secrets import load_secrets
from components.stack_config import load_wave_config

try:
    wave = load_wave_config()
    secrets = load_secrets(wave.architecture)
except WaveConfigError as err:
    raise pulumi.RunError(str(err)) from None  # every problem listed, no stack trace

migration = MigrationWave(wave.name, MigrationWaveArgs(wave=wave, secrets=secrets))
for key, value in migration.contract().items():
    pulumi.export(key, value)

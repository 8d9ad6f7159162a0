"""Pulumi program: a migration wave per stack (`migration:wave`), or the foundation waves share
(`migration:foundation`, docs/foundation.md); config in stacks/Pulumi.<stack>.yaml."""

import pulumi

from components.config import WaveConfigError
from components.foundation import MigrationFoundation, MigrationFoundationArgs
from components.migration_wave import MigrationWave, MigrationWaveArgs
from components.secrets import WaveSecrets, load_foundation_secrets, load_secrets
from components.stack_config import load_foundation_config, load_wave_config

config = pulumi.Config("migration")
try:
    if config.get_object("foundation") is not None:
        foundation = load_foundation_config(config)
        shared, passphrases = load_foundation_secrets(
            foundation.config.architecture, [a.name for a in foundation.config.aws.appliances], config
        )
        contract = MigrationFoundation(
            foundation.config.name, MigrationFoundationArgs(foundation, shared, passphrases)
        ).contract()
    else:
        wave = load_wave_config(config)
        # A wave on a foundation holds no secret: its appliances' passphrases come from the foundation's outputs.
        secrets = load_secrets(wave.architecture) if wave.foundation is None else WaveSecrets({})
        contract = MigrationWave(wave.name, MigrationWaveArgs(wave=wave, secrets=secrets)).contract()
except WaveConfigError as err:
    raise pulumi.RunError(str(err)) from None  # every problem listed, no stack trace

for key, value in contract.items():
    pulumi.export(key, value)

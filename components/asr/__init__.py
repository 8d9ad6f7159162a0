"""Azure Site Recovery through its Python SDK: the ARM clients and their retries (`arm`, `retry`), job tracking
(`jobs`), and every dynamic resource that runs an ASR action (registration, discovery, vault setting, the wave and
recovery-plan actions, post-migration preparation)."""

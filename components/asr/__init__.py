"""Azure Site Recovery client layer: ARM clients, job tracking, throttling, and the vault setting resource."""

"""Command-line tools around the Pulumi program: offline plan, discovery, status."""

"""The real-CLI stage fails on the mistakes it exists to catch: a provider whose check refuses the unknowns a
preview passes, and a secret stored in plain text. Each is a deliberately broken resource of
tests/cli/broken_project, run through the same `Cli` helpers the wave tests use."""

from __future__ import annotations

import pytest

from tests.cli.harness import Cli, CliError

pytestmark = pytest.mark.cli
TOKEN = "tok-Qw83-must-stay-secret"


def test_a_check_that_refuses_unknowns_fails_the_preview(cli: Cli) -> None:
    cli.run("stack", "init", "broken", project="broken_project")
    cli.run("config", "set", "-s", "broken", "case", "strict-check", project="broken_project")
    with pytest.raises(
        CliError, match=r"(?s)pulumi preview .*resource .strict.: property name .*Unknown .* must be a string"
    ):
        cli.run("preview", "-s", "broken", project="broken_project")


def test_a_secret_copied_into_a_plain_output_fails_the_state_check(cli: Cli) -> None:
    cli.run("stack", "init", "broken", project="broken_project")
    cli.run("config", "set", "-s", "broken", "case", "leak", project="broken_project")
    cli.run("config", "set", "-s", "broken", "--secret", "token", TOKEN, project="broken_project")
    cli.run("up", "-s", "broken", "--yes", project="broken_project")
    with pytest.raises(AssertionError, match=r"secrets in plain text in the state of broken: \['tok-\.\.\.'\]"):
        cli.assert_no_plaintext("broken", [TOKEN], project="broken")

"""Whatever validation lets through, no value can leave its string in a script the program renders.

Two kinds of script carry values: the appliance host's PowerShell user data (values quoted by
`ps_quote` when the program renders it) and the SSM documents (values put into the text by SSM from
document parameters). The tests render both with hostile values and read them back with the shells'
own rules: PowerShell's single-quoted-string tokenizer (re-implemented below from its documented
rules, since no PowerShell runs here) and real bash.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from components.appliance_user_data import POWERSHELL_SINGLE_QUOTES, DataDisk, ps_quote, render_user_data
from components.source_prep import mobility_document

_TRICKY = list(POWERSHELL_SINGLE_QUOTES) + list('"`$(){};|&\n\r\t\\ aZ9é€\u2028\u201c\u201d\x00#<>@')
HOSTILE = st.text(alphabet=st.sampled_from(_TRICKY), max_size=40) | st.text(max_size=40)
"""Every kind of quote, `$`, backticks, newlines and other unicode; and, half the time, any text at all."""


def read_ps_literal(text: str, start: int) -> tuple[str, int]:
    """PowerShell's rule (about_Quoting_Rules): a single-quoted string starts and ends at any single quote
    character; two of them in a row stand for one. Returns the string's value and the index after it."""
    assert text[start] in POWERSHELL_SINGLE_QUOTES, text[start:]
    out, i = [], start + 1
    while i < len(text):
        c = text[i]
        if c in POWERSHELL_SINGLE_QUOTES:
            if i + 1 < len(text) and text[i + 1] in POWERSHELL_SINGLE_QUOTES:
                out.append(text[i + 1])
                i += 2
                continue
            return "".join(out), i + 1
        out.append(c)
        i += 1
    raise AssertionError("unterminated single-quoted string")


@given(HOSTILE)
def test_a_powershell_literal_reads_back_as_exactly_its_value(value: str) -> None:
    quoted = ps_quote(value)
    assert read_ps_literal(quoted, 0) == (value, len(quoted))


def test_every_powershell_single_quote_is_doubled() -> None:
    # The ASCII apostrophe alone was the old rule; U+2018-U+201B end a PowerShell string too.
    assert (
        ps_quote("a\u2019; Remove-Item C:\\ -Recurse; \u2018")
        == "'a\u2019\u2019; Remove-Item C:\\ -Recurse; \u2018\u2018'"
    )


@settings(max_examples=60, deadline=None)
@given(region=HOSTILE, arn_tail=HOSTILE, label=HOSTILE, architecture=st.sampled_from(["modernized", "classic"]))
def test_user_data_parameters_hold_any_value(region: str, arn_tail: str, label: str, architecture: str) -> None:
    assume(not any("</powershell" in v.lower() or "<persist" in v.lower() for v in (region, arn_tail, label)))
    secret_arn = "arn:" + arn_tail
    script = render_user_data(architecture, secret_arn, region, DataDisk(size_gb=620, label=label))
    expected: list[tuple[str, str | None]] = [
        ("Architecture", architecture),
        ("SecretArn", secret_arn),
        ("Region", region),
    ]
    expected += [("DataDiskGb", None), ("DataDrive", "E"), ("DataLabel", label)]
    at = len("<powershell>\n")
    for name, value in expected:
        assert script.startswith(f"${name} = ", at), script[at : at + 80]
        at += len(f"${name} = ")
        if value is None:
            at = script.index("\n", at) + 1
            continue
        read, at = read_ps_literal(script, at)
        assert read == value
        assert script[at] == "\n", f"${name}: the statement goes on after its string: {script[at : at + 40]!r}"
        at += 1
    assert script.count("</powershell>") == 1 and script.rstrip().endswith("</persist>")


@pytest.mark.parametrize("value", ["x</powershell>", "x</PowerShell><powershell>Remove-Item", "<persist>true"])
def test_a_value_that_would_end_the_user_data_block_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="user-data tag"):
        render_user_data("modernized", "arn:aws:secretsmanager:eu-west-1:1:secret:x", value, DataDisk(size_gb=620))


# --- SSM documents -------------------------------------------------------------------------------

DOCUMENT = mobility_document()
SCRIPTS = {step["name"]: step["inputs"]["runCommand"] for step in DOCUMENT["mainSteps"]}
PARAMETER = re.compile(r"\{\{ *(\w+) *\}\}")
ASSIGNMENT = {
    "mobilityWindows": re.compile(r"^\$(\w+) = '\{\{ (\w+) \}\}'$"),
    "mobilityLinux": re.compile(r"^(\w+)='\{\{ (\w+) \}\}'$"),
}


@pytest.mark.parametrize("step", sorted(SCRIPTS))
def test_document_parameters_appear_only_as_single_quoted_assignments(step: str) -> None:
    uses = [line for line in SCRIPTS[step] if PARAMETER.search(line)]
    assert uses and all(ASSIGNMENT[step].match(line) for line in uses), uses
    assert {ASSIGNMENT[step].match(line).group(2) for line in uses} == set(DOCUMENT["parameters"])  # type: ignore[union-attr]


def _parameter_values() -> st.SearchStrategy[dict[str, str]]:
    """Any value SSM would accept for each parameter: its allowedPattern or allowedValues."""
    fields = {}
    for name, spec in DOCUMENT["parameters"].items():
        if "allowedValues" in spec:
            fields[name] = st.sampled_from(spec["allowedValues"])
        else:
            fields[name] = st.from_regex(spec["allowedPattern"].removeprefix("^").removesuffix("$"), fullmatch=True)
    return st.fixed_dictionaries(fields)


def _substitute(lines: list[str], values: dict[str, str]) -> str:
    """What SSM does with a document parameter: put its value into the text."""
    return "\n".join(PARAMETER.sub(lambda m: values[m.group(1)], line) for line in lines)


@settings(max_examples=40, deadline=None)
@given(
    values=_parameter_values(), position=st.integers(min_value=0, max_value=40), quote=st.sampled_from("'\"`\u2019$")
)
def test_no_value_ssm_accepts_can_hold_a_quote(values: dict[str, str], position: int, quote: str) -> None:
    for name, spec in DOCUMENT["parameters"].items():
        value = values[name]
        broken = value[:position] + quote + value[position:]
        if "allowedValues" in spec:
            assert broken not in spec["allowedValues"]
        else:
            assert re.fullmatch(spec["allowedPattern"], broken) is None, (name, broken)


@settings(max_examples=25, deadline=None)
@given(values=_parameter_values())
def test_bash_reads_every_parameter_back_unchanged(values: dict[str, str]) -> None:
    assignments = [line for line in SCRIPTS["mobilityLinux"] if PARAMETER.search(line)]
    names = [ASSIGNMENT["mobilityLinux"].match(line).group(1) for line in assignments]  # type: ignore[union-attr]
    script = _substitute(assignments, values) + "\nprintf '%s\\0' " + " ".join(f'"${n}"' for n in names)
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout
    by_variable = dict(zip(names, out.split("\0")[:-1], strict=True))
    parameters = [ASSIGNMENT["mobilityLinux"].match(line).group(2) for line in assignments]  # type: ignore[union-attr]
    assert by_variable == {n: values[p] for n, p in zip(names, parameters, strict=True)}


@settings(max_examples=40, deadline=None)
@given(values=_parameter_values())
def test_powershell_reads_every_parameter_back_unchanged(values: dict[str, str]) -> None:
    for line in SCRIPTS["mobilityWindows"]:
        match = ASSIGNMENT["mobilityWindows"].match(line)
        if not match:
            continue
        rendered = _substitute([line], values)
        start = rendered.index("'")
        assert read_ps_literal(rendered, start) == (values[match.group(2)], len(rendered))

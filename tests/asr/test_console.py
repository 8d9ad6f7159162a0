"""The dynamic providers' messages reach the CLI one whole line each, however many threads write at once."""

from __future__ import annotations

import io
import sys
import threading

import pytest

from components.asr import console


class Chunked(io.StringIO):
    """A stream that yields the thread between writes, as a pipe to the CLI does, so interleaving shows."""

    def write(self, text: str) -> int:
        written = super().write(text)
        threading.Event().wait(0.0005)
        return written


def test_concurrent_messages_never_share_a_line(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = Chunked()
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.setattr(console, "get_engine", lambda: None)  # as in the dynamic-provider plugin

    def machine(n: int) -> None:
        for step in range(20):
            (console.info if step % 2 else console.warn)(f"vm{n:02d}: failover: InProgress ({step})")

    threads = [threading.Thread(target=machine, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 160
    assert all(line.count(": failover: ") == 1 and line.startswith(("info: vm", "warning: vm")) for line in lines)

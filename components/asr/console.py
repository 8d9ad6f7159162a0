"""What the dynamic providers tell the operator while they work: one line per message, whatever the threads do.

In the dynamic-provider plugin there is no engine connection, and `pulumi.log` then `print`s the message and its
newline as two writes to stderr; a wave's threads logging at once ran their lines together in the CLI
(`...(NotStarted)info: orders-web01: ...`). Here each message goes out as one write of the whole line, under a lock.
With an engine (the program itself, or the mock engine), `pulumi.log` sends it as usual.
"""

from __future__ import annotations

import sys
import threading

import pulumi
from pulumi.runtime.settings import get_engine

_WRITE = threading.Lock()


def info(message: str) -> None:
    _say("info", message)


def warn(message: str) -> None:
    _say("warning", message)


def error(message: str) -> None:
    _say("error", message)


def _say(level: str, message: str) -> None:
    if get_engine() is not None:
        {"info": pulumi.log.info, "warning": pulumi.log.warn, "error": pulumi.log.error}[level](message)
        return
    with _WRITE:
        sys.stderr.write(f"{level}: {message}\n")
        sys.stderr.flush()

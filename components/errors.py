"""The root of the project's own errors.

Every error this project raises for a person to read derives from `MigrationError` (and, beside it, from the
built-in error it always was, so existing handlers keep working). Its message is the whole story in one line: what
happened, with the field, value, ASR job or limit, and what to do. The command-line tools catch `MigrationError` and
print `str(error)` alone, never a traceback.
"""

from __future__ import annotations


class MigrationError(Exception):
    """An error of this project: its message says what happened and what to do."""

"""Tests of the migration lifecycle (issue 4)."""

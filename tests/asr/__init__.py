"""Tests of the ASR client layer (components/asr)."""

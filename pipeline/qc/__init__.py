"""Checking subtitle timing: the rules, the audio and shot changes, synchronisation, and the reports."""

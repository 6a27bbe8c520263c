"""The layer everything stands on: times and frames, errors, cues, findings, language profiles, text decoding."""

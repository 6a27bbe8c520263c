"""Building one subtitle track per language: line breaking, cue splitting, timing, and writing SRT, VTT and ASS."""

"""The orchestrator: a job's videos and languages through every stage (the only package that imports them all)."""

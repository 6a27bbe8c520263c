"""The command line, the only place that prints or exits; each command module is imported when its command runs."""

"""Sandbox for untrusted strategy code: static policy, RestrictedPython, isolated child process."""

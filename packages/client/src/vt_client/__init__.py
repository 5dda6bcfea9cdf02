"""Typed Python client and the vt command-line tool for the VibeTrading API."""

"""Typed Python client and the vt command-line tool for the VibeTrading API."""

from vt_client.client import DEFAULT_API_URL, VTClient
from vt_client.errors import APIError, NotLoggedIn, VTError

__all__ = ["DEFAULT_API_URL", "APIError", "NotLoggedIn", "VTClient", "VTError"]

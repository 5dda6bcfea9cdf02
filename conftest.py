"""Workspace-wide pytest setup: real PostgreSQL and Redis fixtures for every suite."""

pytest_plugins = ["vt_devstack.pytest_plugin"]

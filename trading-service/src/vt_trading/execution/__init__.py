"""Execution: target snapshots, orders (persisted before sending), idempotent fills, positions."""

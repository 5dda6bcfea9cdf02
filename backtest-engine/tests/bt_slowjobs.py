"""Computes loaded by worker subprocesses through the `BACKTEST_COMPUTE` seam (tests only)."""

from __future__ import annotations

import time

from bt_testkit import fake_result

from vt_backtest.worker.compute import ComputeJob
from vt_contracts import BacktestResult


def slow_compute(job: ComputeJob) -> BacktestResult:
    """Four seconds of 'work' with progress, then a fixed result."""
    for i in range(40):
        job.progress((i + 1) / 40)
        time.sleep(0.1)
    return fake_result(job.request.run_id)

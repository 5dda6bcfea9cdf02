"""Job failures that end a run with a problem (as opposed to unexpected errors, which retry)."""

from __future__ import annotations

from vt_contracts import FieldError, Problem
from vt_kit.problems import PROBLEM_BASE


class JobFailed(Exception):
    """A run cannot succeed: it is failed at once with `problem` (no retry)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail or problem.title)
        self.problem = problem


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    service: str | None = None,
    errors: list[FieldError] | None = None,
) -> Problem:
    return Problem(
        type=PROBLEM_BASE + slug,
        title=title,
        status=status,
        detail=detail,
        service=service,
        errors=errors,
    )


def fail(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    service: str | None = None,
    errors: list[FieldError] | None = None,
) -> JobFailed:
    return JobFailed(problem(status, slug, title, detail, service=service, errors=errors))

"""Refusals of the workflow services: what a user may not do, and why.

Every refusal carries a stable ``code`` from ``Refusal`` (``ratings.codes``; callers and
tests branch on it) and a Chinese message for the user (pages show it; wording may change freely).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from ..codes import Refusal as Refusal  # re-exported to the service modules


class WorkflowError(ValidationError):
    """A forbidden transition or bad input: a ``Refusal`` code and a message for the user.

    Raised with a dict when the refusal belongs to a field: keys are form field names
    (``star_applied``, ``total_gap_reason``, ``deadline``…) or rubric item ids; each
    entry carries the same code.
    """

    code: Refusal

    def __init__(
        self, message: Any, *, code: Refusal, params: dict[str, Any] | None = None
    ) -> None:
        if isinstance(message, dict):
            super().__init__(
                {
                    key: value
                    if isinstance(value, ValidationError)
                    else ValidationError(value, code=code)
                    for key, value in message.items()
                }
            )
        else:
            super().__init__(message, code=code, params=params)
        self.code = code


class WorkflowPermissionDenied(WorkflowError):
    """The acting user's role or township does not allow this step."""


class StaleVersion(WorkflowError):
    """Someone else saved the form since it was loaded; nothing was saved."""

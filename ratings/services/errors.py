"""Refusals of the workflow services: what a user may not do, and why."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class WorkflowError(ValidationError):
    """A forbidden transition or bad input; the message is meant for the user (Chinese).

    Raised with a dict when the refusal belongs to a field: keys are form field names
    (``star_applied``, ``total_gap_reason``, ``deadline``…) or rubric item ids.
    """


class WorkflowPermissionDenied(WorkflowError):
    """The acting user's role or township does not allow this step."""


class StaleVersion(WorkflowError):
    """Someone else saved the form since it was loaded; nothing was saved."""

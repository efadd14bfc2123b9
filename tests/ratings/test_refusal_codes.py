"""Refusal codes: stable values, carried by every refusal, also on each field of a dict refusal."""

import re

import pytest

from ratings.codes import Refusal
from ratings.services import WorkflowError


def test_codes_are_unique_snake_case_values():
    values = [code.value for code in Refusal]
    assert len(values) == len(set(values))
    assert all(re.fullmatch(r"[a-z][a-z_]*", value) for value in values)


def test_a_refusal_without_a_code_cannot_be_raised():
    with pytest.raises(TypeError):
        WorkflowError("拒绝")  # type: ignore[call-arg]


def test_a_field_refusal_carries_its_code_on_the_error_and_on_each_field():
    error = WorkflowError({"deadline": "整改期限须晚于今天。"}, code=Refusal.DEADLINE_IN_PAST)
    assert error.code == Refusal.DEADLINE_IN_PAST
    assert [e.code for e in error.error_dict["deadline"]] == [Refusal.DEADLINE_IN_PAST]
    assert error.messages == ["整改期限须晚于今天。"]

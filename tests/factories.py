"""Small factories for the test cast. Plain functions: no factory library needed."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group

from ratings.models import Rubric
from settlements.models import Settlement, Township, User, Village
from settlements.roles import ASSESSOR, OFFICIAL, SECRETARY

_seq = itertools.count(1)


def township(name: str | None = None, **kw: Any) -> Township:
    n = next(_seq)
    return Township.objects.create(code=kw.pop("code", f"T{n:03d}"), name=name or f"乡镇{n}", **kw)


def village(township_obj: Township, name: str | None = None, **kw: Any) -> Village:
    n = next(_seq)
    return Village.objects.create(
        township=township_obj, code=kw.pop("code", f"V{n:04d}"), name=name or f"村{n}", **kw
    )


def settlement(village_obj: Village, **kw: Any) -> Settlement:
    n = next(_seq)
    households = kw.pop("households", 60)
    defaults: dict[str, Any] = {
        "code": f"S{n:05d}",
        "name": f"聚居点{n}",
        "households": households,
        "residents": kw.pop("residents", households * 3),
        "party_members": 3,
    }
    defaults.update(kw)
    return Settlement.objects.create(village=village_obj, **defaults)


def user(
    username: str, *, role: str | None = None, township_obj: Township | None = None, **kw: Any
) -> User:
    u = User.objects.create_user(
        username=username, password="pw-Test-12345", township=township_obj, **kw
    )
    if role:
        u.groups.add(Group.objects.get(name=role))
    if role == SECRETARY:
        u.is_staff = True
        u.save(update_fields=["is_staff"])
    return u


def official(username: str, township_obj: Township) -> User:
    return user(username, role=OFFICIAL, township_obj=township_obj)


def assessor(username: str) -> User:
    return user(username, role=ASSESSOR)


def secretary(username: str) -> User:
    return user(username, role=SECRETARY)


def current_rubric() -> Rubric:
    return Rubric.objects.get(is_current=True)


def d(value: str | int) -> Decimal:
    return Decimal(str(value))

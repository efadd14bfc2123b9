"""What public listens to in ratings (ratings never imports public).

- A rating entering or leaving notice changes the board: bump the board's cache
  generation once the transaction commits (post_save covers finalising and overturning;
  taking effect is a guarded ``update`` that sends ``rating_took_effect`` instead).
- A resident's objection awaiting acceptance holds its rating back from taking effect.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.signals import post_save

from . import selectors


def _bump_board(**kwargs: Any) -> None:
    transaction.on_commit(selectors.board_changed)


def _resident_objection_hold(**kwargs: Any) -> Exists:
    from .models import ResidentObjection, ResidentObjectionStatus

    return Exists(
        ResidentObjection.objects.filter(
            rating=OuterRef("pk"), status=ResidentObjectionStatus.PENDING
        )
    )


def connect() -> None:
    from ratings.models import Rating
    from ratings.signals import rating_effect_holds, rating_stars_changed, rating_took_effect

    post_save.connect(_bump_board, sender=Rating, dispatch_uid="public.board.rating_saved")
    rating_took_effect.connect(_bump_board, dispatch_uid="public.board.rating_took_effect")
    rating_stars_changed.connect(_bump_board, dispatch_uid="public.board.rating_stars_changed")
    rating_effect_holds.connect(
        _resident_objection_hold, dispatch_uid="public.resident_objection_hold"
    )

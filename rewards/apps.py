from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RewardsConfig(AppConfig):
    name = "rewards"
    verbose_name = _("奖励补助")

    def ready(self) -> None:
        # rewards listens to ratings; ratings never imports rewards (docs/architecture.md).
        # The dashboards read rewards' selectors themselves (dashboards.panels).
        from ratings.signals import rating_stars_changed, rating_took_effect

        from . import permissions  # noqa: F401  (registers the named permissions)
        from .receivers import queue_proposal

        rating_took_effect.connect(queue_proposal, dispatch_uid="rewards.propose_on_took_effect")
        rating_stars_changed.connect(
            queue_proposal, dispatch_uid="rewards.propose_on_stars_changed"
        )

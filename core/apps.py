from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares and that knows no app of the project (imports none of them)."""

    name = "core"

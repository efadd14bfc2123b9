"""The county's own settings, read by round opening, the scheduled jobs, scoring and certificates."""

from __future__ import annotations

from .models import CountySettings


def county_settings() -> CountySettings:
    """The county's settings row; the defaults (unsaved) until the secretary first saves the page."""
    return CountySettings.objects.filter(singleton=1).first() or CountySettings()

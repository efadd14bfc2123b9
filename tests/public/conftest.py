import pytest


@pytest.fixture(autouse=True)
def _empty_cache():
    """Board pages and rate-limit counters live in the cache: each test starts without them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media_in_tmp(media_root):
    """Uploads (photos, certificates) land in a temporary MEDIA_ROOT, never in var/media."""
    return media_root

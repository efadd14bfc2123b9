import pytest


@pytest.fixture(autouse=True)
def _empty_cache():
    """Board pages and rate-limit counters live in the cache: each test starts without them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()

"""The WSGI application gunicorn serves (docker-compose.yml, bench/run.py)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Django, the apps and their modules are loaded now and live as long as the worker. Left
# to the garbage collector, a full collection walked all ~150,000 of those objects again
# every hundred or so requests (100-200 ms once, ~2 ms a request on average, measured on
# the settlement list); frozen, collections walk only what requests create.
gc.collect()
gc.freeze()

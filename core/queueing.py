"""Queue a Celery task without letting a broker outage break the request that asked for it.

Every task the web queues is idempotent and has a daily catch-up (the daily job opens
missed rounds and makes due ratings effective; rewards.tasks.catch_up proposes what a
lost task left out). So when the broker (Redis) cannot take a message, the right answer
is: the data the person saved stays saved, the request ends quickly (the broker
timeouts in settings are short), the person is told in Chinese that the follow-up work
will be done later, and the daily catch-up does it once Redis is back.

``enqueue(task, *args)`` returns whether the message was queued. Failures during a
request are collected here and turned into a warning message by
``QueueFailureMessageMiddleware``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger(__name__)

# Names of the tasks that could not be queued during the current request.
_failed: ContextVar[list[str] | None] = ContextVar("queue_failures", default=None)

BROKER_ERRORS: tuple[type[BaseException], ...] = (KombuOperationalError, ConnectionError, OSError)
try:  # the redis client is installed with celery[redis]; without it nothing to add
    import redis

    BROKER_ERRORS += (redis.exceptions.RedisError,)
except ImportError:  # pragma: no cover
    pass

QUEUE_FAILED_MESSAGE = _(
    "已保存。后台任务暂时无法排队（消息队列服务不可用），系统会在服务恢复后的每日任务中自动补做，无需重复操作。"
)


def enqueue(task: Any, *args: Any, **kwargs: Any) -> bool:
    """Queue ``task`` (a task, or a task's registered name: sent by name, so the caller
    need not import the module that defines it) with ``args``; False if the broker failed."""
    name = task if isinstance(task, str) else task.name
    try:
        if isinstance(task, str):
            from celery import current_app

            current_app.send_task(name, args=args, kwargs=kwargs)
        else:
            task.apply_async(args=args, kwargs=kwargs)
    except BROKER_ERRORS as exc:
        logger.warning("Could not queue %s%r: %s (the daily catch-up will do it)", name, args, exc)
        failures = _failed.get()
        if failures is not None:
            failures.append(name)
        return False
    return True


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    from django.db import transaction

    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))


class QueueFailureMessageMiddleware:
    """Tells the person, in their language, that a follow-up job could not be queued."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _failed.set([])
        try:
            response = self.get_response(request)
            if _failed.get():
                messages.warning(request, QUEUE_FAILED_MESSAGE, fail_silently=True)
        finally:
            _failed.reset(token)
        return response

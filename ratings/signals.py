"""What ratings announces to the apps that depend on it (rewards listens; ratings never imports rewards).

Both are sent from ``transaction.on_commit`` by the services, with ``rating_id`` only,
so a receiver loads fresh state and queues its own task.
"""

from django.dispatch import Signal

# A rating has taken effect after its public notice (or its star changed afterwards by a
# downgrade/revocation/objection). kwargs: rating_id.
rating_took_effect = Signal()
rating_stars_changed = Signal()

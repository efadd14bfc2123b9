"""What ratings announces to the apps that depend on it (rewards listens; ratings never imports rewards).

Both are sent from ``transaction.on_commit`` by the services, with ``rating_id`` only,
so a receiver loads fresh state and queues its own task.
"""

from django.dispatch import Signal

# A rating has taken effect after its public notice (or its star changed afterwards by a
# downgrade/revocation/objection). kwargs: rating_id.
rating_took_effect = Signal()
rating_stars_changed = Signal()

# Workflow events the inbox (notifications) tells people about. Sent on commit by the
# services with the row's id only. kwargs as named.
self_assessment_sent_back = Signal()  # assessment_id
rectification_issued = Signal()  # rectification_id
rectification_checked = Signal()  # rectification_id
objection_filed = Signal()  # objection_id
objection_decided = Signal()  # objection_id

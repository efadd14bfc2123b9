"""What ratings announces to the apps that depend on it (rewards and dashboards listen; ratings imports neither).

Both are sent from ``transaction.on_commit`` by the services, with ``rating_id`` only,
so a receiver loads fresh state and queues its own task.
"""

from django.dispatch import Signal

# A rating has taken effect after its public notice (or its star changed afterwards by a
# downgrade/revocation/objection). kwargs: rating_id.
rating_took_effect = Signal()
rating_stars_changed = Signal()

# Ratings of whole rounds were written in bulk, without the signals above (the demo
# history builder). Sent synchronously, inside the writer's transaction, so listeners
# recount from the rows just written. kwargs: round_ids.
ratings_rewritten = Signal()
# Asked before a rating in notice takes effect: each receiver returns a condition on
# Rating (e.g. ``Exists(... rating=OuterRef("pk") ...)``) that holds the rating back, as a
# pending objection does. The public app answers with residents' objections still
# awaiting acceptance, so a rating never takes effect over an objection filed in time.
rating_effect_holds = Signal()
# Workflow events the inbox (notifications) tells people about. Sent on commit by the
# services with the row's id only. kwargs as named.
self_assessment_sent_back = Signal()  # assessment_id
rectification_issued = Signal()  # rectification_id
rectification_checked = Signal()  # rectification_id
objection_filed = Signal()  # objection_id
objection_decided = Signal()  # objection_id

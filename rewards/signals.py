"""What rewards announces (the inbox listens; rewards never imports it).

Sent from ``transaction.on_commit`` by the services, with ``disbursement_id`` only.
"""

from django.dispatch import Signal

disbursement_approved = Signal()  # disbursement_id
disbursement_paid = Signal()  # disbursement_id

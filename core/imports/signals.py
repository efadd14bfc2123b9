"""What the import pipeline announces to the apps above core (core imports none of them).

Sent on commit by core.imports.services with the job's id only, so a receiver reads the
finished job as stored. kwargs: ``job_id``, ``step`` ("preview" or "apply").
The job's status says how the step ended: previewed, refused, applied or failed.
"""

from django.dispatch import Signal

import_step_finished = Signal()

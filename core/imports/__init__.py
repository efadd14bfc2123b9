"""Spreadsheet imports as background jobs: upload → preview (a job) → confirm → apply (a job).

- ``base``: ``Importer``, what an app writes for each kind of import (columns, how a
  row is checked, which rows exist already, how they are written), and the registry
  (apps register importers in their ``AppConfig.ready``; core imports no app).
- ``services``: the pipeline shared by the web pages and the management commands:
  ``import_job_create``, ``import_job_preview``, ``import_job_confirm``,
  ``import_job_apply``, ``import_run`` (CLI, synchronous).
- ``plans``: the plan a preview stores and the apply writes (signed, bound to its job).
- ``selectors``: a job by its signed id, for its creator or a supervisor only.
- ``views`` / ``urls``: the job page (progress, summary, confirm), its JSON status and
  the refused rows as xlsx.
"""

"""Settlement governance (SPEC §2, §8), in one place: who holds each organisation
(Party organisation and self-management), the 5员1长 team, households and their points,
and the red/black (honour) lists.

- ``rules``: pure functions (gaps, balances, ranking, ID numbers, point values).
- ``selectors``: reads scoped to the user; ``sees_personal_data`` decides who sees names.
- ``services``: every write, one transaction each, with history.
- ``forms``, ``views``, ``urls``: the pages (included in the ``settlements`` namespace).
- ``resources``: households and point entries as spreadsheets (on core.spreadsheets).
- ``admin``: the admin (registered through settlements/admin.py).

The models stay in settlements/models.py (their own section): they are settlements'
tables, and Django loads an app's models from that one module.
"""

"""The pure domain of a poll, shared by the polls service and the auditor's tool.

``definition`` (what a poll asks), ``ballot`` (what a valid ballot entry is), ``count``
(per-question results), ``allocation`` (funded projects, with pabutools), ``results`` (the
official results and their recomputation from a board) and ``pabulib`` (.pb import/export).
No server, database or Redis here: everything is a function of bytes and values.
"""

__all__ = ()

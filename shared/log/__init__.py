"""The append-only Merkle logs behind ballots and comments, and everything to audit them.

Modules: ``merkle`` (RFC 9162 tree maths and proof verification), ``tree`` (stored tree state
and proofs over a node store), ``note`` (C2SP signed notes, Ed25519), ``checkpoint`` (C2SP
checkpoints), ``receipt``, ``certificate`` (tally certificates), ``keys`` (key ring), ``board``
(the offline audit file) and ``audit`` (its verification). Formats: ``README.md`` here.
"""

__all__ = ()

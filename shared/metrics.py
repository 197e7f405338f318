"""The platform's own Prometheus metrics (HTTP request metrics come from Litestar's plugin).

Names are what the dashboard and the alert rules in deploy/observability use; change them
together.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = (
    "CHECKPOINT_SIZE",
    "DEPENDENCY_ERRORS",
    "INTEGRATOR_LAST_ROUND",
    "INTEGRATOR_PENDING",
    "INTEGRATOR_ROUND_SECONDS",
    "POOLED_BALLOTS",
    "RECEIPTS",
    "RECEIPT_TO_CHECKPOINT_SECONDS",
    "REFUSALS",
    "UNKNOWN_ADDRESS_CODES",
)

RECEIPTS = Counter(
    "vmeste_receipts", "Receipts issued: accepted ballots and comments.", ["service"]
)
REFUSALS = Counter(
    "vmeste_refusals",
    "Requests answered with a problem document, by its type (already-voted, not-eligible, …).",
    ["service", "type", "status"],
)
DEPENDENCY_ERRORS = Counter(
    "vmeste_dependency_errors",
    "Failures to reach a dependency (database or Redis).",
    ["service", "dependency"],
)
RECEIPT_TO_CHECKPOINT_SECONDS = Histogram(
    "vmeste_receipt_to_checkpoint_seconds",
    "From a receipt issued on this replica to its entry being in a signed checkpoint.",
    ["service"],
    buckets=(0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60),
)
INTEGRATOR_ROUND_SECONDS = Histogram(
    "vmeste_integrator_round_seconds",
    "Duration of one integration round of the lease holder.",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
INTEGRATOR_PENDING = Gauge(
    "vmeste_integrator_pending_entries",
    "Entries accepted but not yet in a checkpoint, seen at the start of the last round.",
    ["service"],
    multiprocess_mode="max",
)
INTEGRATOR_LAST_ROUND = Gauge(
    "vmeste_integrator_last_round_timestamp_seconds",
    "When the integrator lease holder last finished a round (Unix time).",
    ["service"],
    multiprocess_mode="max",
)
CHECKPOINT_SIZE = Gauge(
    "vmeste_checkpoint_size",
    "Tree size of the latest checkpoint this replica signed, per log.",
    ["service", "log"],
    multiprocess_mode="max",
)
POOLED_BALLOTS = Gauge(
    "vmeste_pooled_ballots",
    "Accepted ballots waiting in the pool to be mixed into their logs, all polls together, "
    "as the integrator's last round found them.",
    ["service"],
    multiprocess_mode="mostrecent",
)
UNKNOWN_ADDRESS_CODES = Counter(
    "vmeste_unknown_address_codes",
    "Sign-ins refused because the registration address code (FIAS) is not in the territory "
    "reference: a rising rate means the imported address register is stale.",
    ["service"],
)

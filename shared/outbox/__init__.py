"""The transactional outbox both services use: messages written in the same transaction as the
change they announce, delivered later with retries (:mod:`shared.outbox.delivery`), and the
Standard Webhooks signature of what is posted (:mod:`shared.outbox.webhooks`)."""

from shared.outbox.delivery import DeliveryFailedError, OutboxDelivery, QueuedMessage, retry_delay
from shared.outbox.tables import enqueue, make_outbox_table

__all__ = (
    "DeliveryFailedError",
    "OutboxDelivery",
    "QueuedMessage",
    "enqueue",
    "make_outbox_table",
    "retry_delay",
)

"""The local process helpers, as the tests import them."""

from ops.localproc import (
    PostgresProcess,
    RedisProcess,
    free_port,
    postgres_bin_dir,
    start_postgres,
    start_redis,
    wait_listening,
)

__all__ = (
    "PostgresProcess",
    "RedisProcess",
    "free_port",
    "postgres_bin_dir",
    "start_postgres",
    "start_redis",
    "wait_listening",
)

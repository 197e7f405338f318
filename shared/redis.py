"""Redis client factory with the project's Lua scripts registered once per client.

Redis is the fast path only (voter gates, rate-limit counters, the revocation cache); every
caller must carry on correctly, if more slowly, when Redis is down or was flushed.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

__all__ = ("Scripts", "create_redis", "redis_ping")

# One script so test-and-set of many voter tags costs one round trip for a whole batch. The
# keys expire at one absolute time (EXAT), so no key's TTL tells when it was set. The same
# round trip answers whether each caster's session was signed out (KEYS[1] is the marker that
# the revocation set is loaded; each cast gives its gate key, then its session's revocation
# key): a signed-out caster's gate is left untouched. The first answer is the marker (1/0),
# then per cast 1 claimed, 0 already taken, 2 signed out.
_GATE_MANY = """
local out = {redis.call('EXISTS', KEYS[1])}
for i = 1, #ARGV do
  if redis.call('EXISTS', KEYS[2 * i + 1]) == 1 then
    out[i + 1] = 2
  else
    out[i + 1] = redis.call('SET', KEYS[2 * i], '1', 'NX', 'EXAT', ARGV[i]) and 1 or 0
  end
end
return out
"""


class Scripts:
    """The registered scripts of one client; ``Script`` objects cache their SHA."""

    def __init__(self, client: Redis) -> None:
        self.gate_many: AsyncScript = client.register_script(_GATE_MANY)


def create_redis(url: str) -> tuple[Redis, Scripts]:
    # Short timeouts: a stuck Redis must degrade to the database path quickly, not hang casts.
    client = Redis.from_url(
        url,
        socket_connect_timeout=0.5,
        socket_timeout=0.5,
        health_check_interval=10,
    )
    return client, Scripts(client)


async def redis_ping(client: Redis) -> None:
    await client.ping()

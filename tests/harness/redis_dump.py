"""Everything a Redis reader sees: every key, its value and its time to live."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

__all__ = ("RedisEntry", "redis_dump", "strings_in")


@dataclass(frozen=True, slots=True)
class RedisEntry:
    key: str
    kind: str
    value: bytes
    """The value's contents flattened to bytes (members, fields and items joined)."""
    ttl: int


def _bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode()


async def _value(redis: Redis, key: bytes, kind: str) -> bytes:
    client: Any = redis  # redis-py types its replies as bytes | str; these are bytes
    parts: list[object]
    if kind == "string":
        return _bytes(await client.get(key) or b"")
    if kind == "set":
        parts = list(await client.smembers(key))
    elif kind == "hash":
        parts = [b for kv in (await client.hgetall(key)).items() for b in kv]
    elif kind == "list":
        parts = list(await client.lrange(key, 0, -1))
    elif kind == "zset":
        parts = [m for m, _ in await client.zrange(key, 0, -1, withscores=True)]
    else:  # streams and the like: whatever the server's serialisation shows
        parts = [await client.dump(key) or b""]
    return b"\n".join(_bytes(part) for part in parts)


async def redis_dump(url: str) -> list[RedisEntry]:
    async with Redis.from_url(url) as redis:
        out: list[RedisEntry] = []
        async for key in redis.scan_iter(count=1000):
            kind = _bytes(await redis.type(key)).decode()
            out.append(
                RedisEntry(
                    key=_bytes(key).decode(),
                    kind=kind,
                    value=await _value(redis, key, kind),
                    ttl=int(await redis.ttl(key)),
                )
            )
        return out


def strings_in(dump: list[RedisEntry], *needles: str) -> list[str]:
    """The keys whose name or value contains one of ``needles`` (empty: Redis names nobody)."""
    found: list[str] = []
    for entry in dump:
        for needle in needles:
            if needle and (needle in entry.key or needle.encode() in entry.value):
                found.append(f"{entry.key} ⊇ {needle}")
    return found

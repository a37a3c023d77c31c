"""The arithmetic of a contest's draw (P15), with nothing to read or write: what the close
publishes (`entries_hash`) and how winners are picked from a revealed seed (`pick`), so
anyone can recompute both from the contest's public record."""
from __future__ import annotations

import hashlib
import hmac


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def entries_hash(entry_ids: list[str]) -> str:
    """What the close publishes: SHA-256 of the sorted entry ids, one per line."""
    return sha256("\n".join(sorted(entry_ids)))


def pick(seed: str, entry_ids: list[str], count: int) -> list[str]:
    """`count` distinct winners from the sorted entry ids, by HMAC-SHA256 keyed by the seed
    in counter mode, with rejection sampling so every entry has the same chance."""
    pool, winners, counter = sorted(entry_ids), list[str](), 0
    while pool and len(winners) < count:
        size = len(pool)
        limit = (1 << 256) // size * size
        while True:
            counter += 1
            value = int.from_bytes(hmac.new(seed.encode(), f"draw:{counter}".encode(), hashlib.sha256).digest(), "big")
            if value < limit:
                break
        winners.append(pool.pop(value % size))
    return winners

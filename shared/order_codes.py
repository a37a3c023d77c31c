"""Short order codes for receipts and support calls (CCS-7K4M-2Q9P).

A code is Crockford base32 of a hash of the random order id: it tells nothing of how many
orders there are (no counter, and no hot item one would be). Its uniqueness is kept by a
conditional put of a code item with the order; a taken code is retried with the next
attempt number in the hash."""
from __future__ import annotations

import hashlib
import re

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "CCS"
ATTEMPTS = 5
SHAPE = re.compile(rf"^{PREFIX}-[{CROCKFORD}]{{4}}-[{CROCKFORD}]{{4}}$")


def order_code(order_id: str, attempt: int = 0) -> str:
    seed = order_id if attempt == 0 else f"{order_id}#{attempt}"
    number = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:5], "big")  # 40 bits: 8 symbols
    symbols = "".join(CROCKFORD[(number >> shift) & 31] for shift in range(35, -1, -5))
    return f"{PREFIX}-{symbols[:4]}-{symbols[4:]}"

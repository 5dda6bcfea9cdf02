"""What OKX needs beyond the generic ccxt adapter: client order ids, error codes, permissions.

**Client order ids.** OKX's `clOrdId` is 1-32 case-sensitive alphanumerics; ours are up to 36
characters of `[a-z0-9-]` (`p<deployment16>-<snapshot>-<leg>`). The mapping is deterministic
(the same id always gives the same `clOrdId`, so a restarted runner finds its order by asking
for it) and injective (two of our ids never share one):

- an id of lowercase letters, digits and `-` that fits in 32 characters is sent with each `-`
  written as `Z` (reversible: ours have no capitals, so `Z` always means `-`);
- anything else (too long, capitals, other characters) is sent as `H` + the first 31 base-62
  characters of its SHA-256. `H` never starts a reversible form (those have no capital but
  `Z`), so the two forms cannot collide; a hashed id is mapped back from the ids this process
  sent or asked about (an unknown one is shown as the venue's `clOrdId`).
"""

from __future__ import annotations

import hashlib
import re

_REVERSIBLE = re.compile(r"^[a-z0-9-]{1,32}$")
_ENCODED = re.compile(r"^[a-z0-9Z]{1,32}$")
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
MAX_CLORDID = 32


def to_clordid(client_order_id: str) -> str:
    """Our client order id as an OKX `clOrdId` (deterministic, at most 32 alphanumerics)."""
    if _REVERSIBLE.match(client_order_id):
        return client_order_id.replace("-", "Z")
    n = int.from_bytes(hashlib.sha256(client_order_id.encode()).digest(), "big")
    digits = []
    for _ in range(MAX_CLORDID - 1):
        n, r = divmod(n, 62)
        digits.append(_B62[r])
    return "H" + "".join(digits)


def from_clordid(clordid: str) -> str | None:
    """Our id back from a reversible `clOrdId`; None for a hashed or foreign-looking one."""
    if _ENCODED.match(clordid):
        return clordid.replace("Z", "-")
    return None


# OKX codes by meaning (https://www.okx.com/docs-v5/en/#error-code). ccxt maps most of them to
# the right class already; the codes decide here so the adapter does not depend on that map.
TIMESTAMP = {"50102"}  # Timestamp request expired
RATE = {"50011", "50061"}  # Too many requests / order rate limit of the account
AUTH = {
    "50100",  # API frozen
    "50101",  # APIKey does not match current environment (demo key live, or live key demo)
    "50103",  # OK-ACCESS-KEY empty
    "50104",  # OK-ACCESS-PASSPHRASE empty
    "50105",  # OK-ACCESS-PASSPHRASE incorrect
    "50106",  # OK-ACCESS-SIGN empty
    "50107",  # OK-ACCESS-TIMESTAMP empty
    "50110",  # IP not allowed for this key
    "50111",  # Invalid OK-ACCESS-KEY
    "50112",  # Invalid OK-ACCESS-TIMESTAMP
    "50113",  # Invalid Sign
    "50114",  # Invalid authorization
    "50120",  # API key has no permission for this operation
}
NOT_FOUND = {"51400", "51401", "51402", "51503", "51603"}
AMBIGUOUS = {"50004"}  # endpoint request timeout: "does not indicate success or failure"
SERVER = {"50001", "50013", "50026"}  # maintenance, system busy, system error
DUPLICATE = {"51016"}  # Duplicated clOrdId

HINTS = {
    "50101": "the key belongs to the other OKX environment: demo-trading keys work only in the "
    "paper environment (x-simulated-trading), live keys only in live",
    "50105": "the passphrase ('password') is not the one set when the API key was created",
    "50104": "OKX needs the API key's passphrase ('password')",
    "50113": "the secret does not match the API key",
    "50111": "OKX does not know this API key",
}


def withdraw_enabled(config_row: dict[str, object]) -> bool:
    """`GET /api/v5/account/config` -> `perm` is e.g. "read_only,trade,withdraw"."""
    perm = str(config_row.get("perm") or "")
    return "withdraw" in {p.strip() for p in perm.split(",")}

"""Bitstring Status List (W3C): a credential's revocation or suspension is one bit of a long, compressed list.

A verifier downloads the whole list, so the issuer never learns which credential was checked;
the list must be long (at least 131,072 entries) for that to hide anything. Index 0 is the most
significant bit of the first byte; the list travels gzip-compressed in multibase base64url
without padding (prefix ``u``). zlib's gzip at its default level, without a timestamp, gives the
specification's own bytes: the same bits always give the same list, so its ETag is stable.
"""

import base64
import gzip
import io
import zlib

MIN_ENTRIES = 131_072


def _check_size(size: int) -> None:
    if size < MIN_ENTRIES or size % 8:
        raise ValueError(f"a status list has at least {MIN_ENTRIES} entries, a multiple of 8; not {size}")


def bitstring_new(size: int = MIN_ENTRIES) -> bytearray:
    _check_size(size)
    return bytearray(size // 8)


def bit_get(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def bit_set(bits: bytearray, index: int, value: bool = True) -> None:
    mask = 0x80 >> (index % 8)
    if value:
        bits[index // 8] |= mask
    else:
        bits[index // 8] &= ~mask & 0xFF


def bitstring_encode(bits: bytes) -> str:
    """``encodedList``: "u" + base64url(gzip(bits)) without padding."""
    _check_size(len(bits) * 8)
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: a gzip wrapper, mtime 0
    compressed = compressor.compress(bytes(bits)) + compressor.flush()
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def bitstring_decode(encoded: str, *, max_bytes: int = 16 * 1024 * 1024) -> bytes:
    """The bits of an ``encodedList``; a malformed or oversized list is a ValueError (the verifier's check)."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ValueError("an encodedList is multibase base64url: it starts with 'u'")
    payload = encoded[1:]
    try:
        compressed = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        with gzip.GzipFile(fileobj=io.BytesIO(compressed)) as stream:
            bits = stream.read(max_bytes + 1)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"the encodedList is not gzip in base64url: {exc}") from None
    if len(bits) > max_bytes:
        raise ValueError("the status list is larger than a verifier accepts")
    _check_size(len(bits) * 8)
    return bits

"""Bitstring Status List encoding (pure): the specification's bit order, size floor and example."""

import base64
import gzip

import pytest

from learning_credentials.open_badges.status_list import (
    MIN_ENTRIES,
    bit_get,
    bit_set,
    bitstring_decode,
    bitstring_encode,
    bitstring_new,
)


def test_index_zero_is_the_most_significant_bit_of_the_first_byte():
    bits = bitstring_new()
    bit_set(bits, 0)
    bit_set(bits, 9)
    assert bits[0] == 0x80 and bits[1] == 0x40
    assert bit_get(bits, 0) and bit_get(bits, 9) and not bit_get(bits, 1)
    bit_set(bits, 0, False)
    assert bits[0] == 0 and not bit_get(bits, 0)


def test_a_list_round_trips_and_is_the_same_bytes_every_time():
    bits = bitstring_new()
    for index in (0, 7, 8, 65_535, MIN_ENTRIES - 1):
        bit_set(bits, index)
    encoded = bitstring_encode(bits)
    assert encoded == bitstring_encode(bytes(bits))  # gzip's mtime is 0: no timestamp in the bytes
    assert encoded.startswith("u") and "=" not in encoded
    decoded = bitstring_decode(encoded)
    assert decoded == bytes(bits)
    assert [i for i in (0, 1, 7, 8, 65_535, MIN_ENTRIES - 1) if bit_get(decoded, i)] == [
        0,
        7,
        8,
        65_535,
        MIN_ENTRIES - 1,
    ]


@pytest.mark.parametrize("size", [MIN_ENTRIES - 8, MIN_ENTRIES + 1, 8])
def test_a_list_shorter_than_the_privacy_floor_is_refused(size):
    with pytest.raises(ValueError, match="at least 131072 entries"):
        bitstring_new(size)


@pytest.mark.parametrize(
    "encoded",
    [
        "H4sI",  # no multibase prefix
        "u!!!",  # not base64url
        "u" + base64.urlsafe_b64encode(b"not gzip").decode().rstrip("="),
        "u" + base64.urlsafe_b64encode(gzip.compress(bytes(1024), mtime=0)).decode().rstrip("="),  # too short
    ],
)
def test_a_malformed_list_is_a_clear_error(encoded):
    with pytest.raises(ValueError):
        bitstring_decode(encoded)


def test_an_oversized_list_is_refused_before_it_is_read_whole():
    big = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(4 * MIN_ENTRIES), mtime=0)).decode().rstrip("=")
    with pytest.raises(ValueError, match="larger than a verifier accepts"):
        bitstring_decode(big, max_bytes=MIN_ENTRIES // 8)


def test_an_all_zero_list_of_131072_entries_is_the_specification_s_example():
    # W3C Bitstring Status List, the example of an empty list of the minimum size.
    spec = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
    assert bitstring_encode(bitstring_new()) == spec
    assert bitstring_decode(spec) == bytes(MIN_ENTRIES // 8)

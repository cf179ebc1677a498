import uuid

import pytest

from learning_credentials.exceptions import InvalidContextKey
from learning_credentials.identifiers import (
    CODE_ALPHABET,
    format_code,
    generate_code,
    normalize_code,
    parse_context_key,
    parse_uuid,
)


def test_codes_use_the_unambiguous_alphabet_and_differ():
    codes = {generate_code(10) for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(code) == 10 and set(code) <= set(CODE_ALPHABET) for code in codes)
    assert not set("ILOU") & set(CODE_ALPHABET)


@pytest.mark.parametrize(
    "typed,expected",
    [
        ("7kq2m-xw4pd", "7KQ2MXW4PD"),
        (" 7KQ2M XW4PD ", "7KQ2MXW4PD"),
        ("7kq2m--xw4pd", "7KQ2MXW4PD"),
        ("O1IL0", "01110"),  # look-alikes read as digits
    ],
)
def test_normalize_code_is_case_and_separator_insensitive(typed, expected):
    assert normalize_code(typed) == expected


@pytest.mark.parametrize("junk", ["", "-", "ABC!", "AB\x00CD", "😀😀", "U" * 5, "A" * 65, None, 42])
def test_normalize_code_rejects_junk(junk):
    assert normalize_code(junk) is None


def test_format_code_groups_for_reading():
    assert format_code("7KQ2MXW4PD") == "7KQ2M-XW4PD"


def test_parse_uuid_accepts_both_spellings_only():
    value = uuid.uuid4()
    assert parse_uuid(str(value)) == value
    assert parse_uuid(value.hex) == value
    for junk in ["", "x", str(value) + "\n", str(value) + "0", "\x00" * 36, "{" + str(value) + "}", "😀" * 36, None]:
        assert parse_uuid(junk) is None


def test_parse_context_key():
    assert str(parse_context_key("course-v1:DemoX+CS101+2026")) == "course-v1:DemoX+CS101+2026"
    assert str(parse_context_key("path-v1:DemoX+data+2026+all")) == "path-v1:DemoX+data+2026+all"
    for junk in ["", "nonsense", "course-v1:\x00", "course-v1:" + "a" * 300]:
        with pytest.raises(InvalidContextKey):
            parse_context_key(junk)

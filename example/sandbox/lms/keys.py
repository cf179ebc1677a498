"""Opaque key of learning paths, registered as the ``path-v1`` context_key entry point."""

from typing import Self

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import LearningContextKey
from opaque_keys.edx.locator import CheckFieldMixin


class LearningPathKey(CheckFieldMixin, LearningContextKey):
    """
    A learning path, an ordered series of courses: ``path-v1:ORG+PATH``.

    Mirrors the key of the Open edX learning-paths plugin so learning_credentials treats
    sandbox paths exactly as it treats real ones.
    """

    CANONICAL_NAMESPACE = "path-v1"
    KEY_FIELDS = ("org", "path")
    org: str
    path: str
    __slots__ = KEY_FIELDS
    CHECKED_INIT = False
    is_course = False

    def __init__(self, org: str, path: str):
        self._check_key_string_field("org", org)
        self._check_key_string_field("path", path)
        super().__init__(org=org, path=path)

    def _to_string(self) -> str:
        return f"{self.org}+{self.path}"

    @classmethod
    def _from_string(cls, serialized: str) -> Self:
        try:
            org, path = serialized.split("+")
            return cls(org=org, path=path)
        except (ValueError, TypeError) as error:
            raise InvalidKeyError(cls, serialized) from error

"""Opaque key of learning paths, registered as the ``path-v1`` context_key entry point.

The learning-paths plugin's own key when it is installed (the plugin registers the same entry
point, so both names must resolve to one class); otherwise a class that parses the same format.
"""

from typing import Self

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import LearningContextKey
from opaque_keys.edx.locator import CheckFieldMixin

try:
    from learning_paths.keys import LearningPathKey
except ImportError:

    class LearningPathKey(CheckFieldMixin, LearningContextKey):
        """
        A learning path, an ordered series of courses: ``path-v1:ORG+NUMBER+RUN+GROUP``.

        The format of the Open edX learning-paths plugin (0.3 and later), so that learning_credentials
        treats sandbox paths exactly as it treats real ones.
        """

        CANONICAL_NAMESPACE = "path-v1"
        KEY_FIELDS = ("org", "number", "run", "group")
        org: str
        number: str
        run: str
        group: str
        __slots__ = KEY_FIELDS
        CHECKED_INIT = False
        is_course = False

        def __init__(self, org: str, number: str, run: str, group: str):
            for name, value in zip(self.KEY_FIELDS, (org, number, run, group), strict=True):
                self._check_key_string_field(name, value)
            super().__init__(org=org, number=number, run=run, group=group)

        def _to_string(self) -> str:
            return f"{self.org}+{self.number}+{self.run}+{self.group}"

        @classmethod
        def _from_string(cls, serialized: str) -> Self:
            try:
                return cls(*serialized.split("+"))
            except (ValueError, TypeError) as error:
                raise InvalidKeyError(cls, serialized) from error

"""Request bodies: a JSON body that cannot be read is refused in words, with its line and column."""

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

from ..problems import JSONProblem, json_kind, json_parse


def _no_constant(name: str):
    raise ValueError(name)


class ReadableJSONParser(JSONParser):
    """DRF's JSON parser, but its refusals never quote Python's JSON error ("Expecting ',' delimiter ... char 42")."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError:
            raise ParseError(_("The body is not text in %(encoding)s.") % {"encoding": encoding}) from None
        try:
            data = json_parse(text, parse_constant=_no_constant if self.strict else None)
        except JSONProblem as exc:
            raise ParseError(_("The body is not valid JSON. %(problem)s") % {"problem": exc}) from None
        if not isinstance(data, dict):  # every endpoint takes an object; DRF would name a Python type
            raise ParseError(_("The body must be a JSON object (in braces), not %(kind)s.") % {"kind": json_kind(data)})
        return data


PARSERS = (ReadableJSONParser, FormParser, MultiPartParser)

"""Verification codes: one namespace for credentials and the code holders sub-apps register.

A credential's code is unique by its column's index; codes of other holders (the exams' stable
certification codes) are checked against every holder before use, so a typed code names one thing.
"""

from django.db import IntegrityError

from .. import conf
from ..identifiers import generate_code
from ..models import Credential
from ..registry import code_holders

CODE_ATTEMPTS = 5


def codes_held_elsewhere(codes: list[str]) -> set[str]:
    """Of ``codes``, those a registered holder other than credentials uses: one query per holder, none without."""
    taken: set[str] = set()
    for model, field in code_holders:
        taken.update(model.objects.filter(**{f"{field}__in": codes}).values_list(field, flat=True))
    return taken


def code_allocate() -> str:
    """A fresh code no credential and no registered holder uses (the caller's unique index settles a race)."""
    for _attempt in range(CODE_ATTEMPTS):
        code = generate_code(conf.get("VERIFICATION_CODE_LENGTH"))
        if not Credential.objects.filter(verification_code=code).exists() and not codes_held_elsewhere([code]):
            return code
    raise IntegrityError("Could not allocate a unique verification code.")


def credential_codes_settle(credentials: list[Credential]) -> None:
    """Give new codes to unsaved credentials whose codes a registered holder uses already."""
    pending = credentials
    while pending and (clashes := codes_held_elsewhere([c.verification_code for c in pending])):
        pending = [c for c in pending if c.verification_code in clashes]
        for credential in pending:
            credential.verification_code = generate_code(conf.get("VERIFICATION_CODE_LENGTH"))

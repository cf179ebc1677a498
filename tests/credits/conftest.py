"""Credit types, configurations that award credits, and a learner who completed the course."""

from decimal import Decimal

import pytest

from learning_credentials.credits.models import ConfigurationCredit, CreditType
from learning_credentials.models import CredentialEvent
from learning_credentials.services import credential_issue
from tests import factories

SOURCE = CredentialEvent.Source.SYSTEM
OTHER_COURSE = "course-v1:DemoX+CS102+2026"


def credit_type(code: str, name: str, unit: str, unit_plural: str) -> CreditType:
    """The data migration creates SHRM and HRCI; a transactional test's flush removes them, so get or create."""
    return CreditType.objects.get_or_create(
        code=code, defaults={"name": name, "unit": unit, "unit_plural": unit_plural}
    )[0]


@pytest.fixture
def shrm(db) -> CreditType:
    return credit_type("SHRM", "SHRM Professional Development Credits", "PDC", "PDCs")


@pytest.fixture
def hrci(db) -> CreditType:
    return credit_type("HRCI", "HRCI Recertification Credits", "credit", "credits")


def award_lines(configuration, *lines: tuple[CreditType, str, str]) -> list[ConfigurationCredit]:
    return [
        ConfigurationCredit.objects.create(
            configuration=configuration, credit_type=kind, amount=Decimal(amount), activity_id=activity
        )
        for kind, amount, activity in lines
    ]


@pytest.fixture
def credited(configuration, shrm, hrci):
    """The course's configuration awards 1.50 SHRM PDCs and 1.50 HRCI credits."""
    award_lines(configuration, (shrm, "1.50", "24-DEMO1"), (hrci, "1.50", "HR-555"))
    return configuration


@pytest.fixture
def completed(learner, course):
    factories.set_completion(learner, course, 1.0)
    return learner


def issue(configuration, user, **kwargs):
    return credential_issue(user_id=user.pk, configuration=configuration, source=SOURCE, **kwargs)


def second_configuration(context_key: str = factories.COURSE_KEY, **kwargs):
    """Another credential type offered in a context (the same one by default)."""
    return factories.ConfigurationFactory(learning_context_key=context_key, **kwargs)

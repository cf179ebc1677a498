"""Expiry: a validity period sets each credential's expiry at issue; 'expired' is a public state on every surface."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from learning_credentials.expiry import (
    add_months,
    expiry_for,
    reminder_days_parse,
    reminder_due,
    renewal_opens,
)
from learning_credentials.learner_views import linkedin_add_to_profile_url
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialEvent
from learning_credentials.rendering import CredentialData
from learning_credentials.selectors import credential_public_status
from learning_credentials.services import credential_invalidate, credential_issue, credential_reissue
from learning_credentials.services.artifacts import artifact_storage, share_image_folder
from learning_credentials.services.sharing import credential_share_image
from learning_credentials.services.suspension import credential_suspend
from tests import factories

SOURCE = CredentialEvent.Source.API
DAY = timedelta(days=1)


def moment(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


class TestArithmetic:
    @pytest.mark.parametrize(
        ("start", "months", "expected"),
        [
            (moment(2026, 1, 31, 9), 1, moment(2026, 2, 28, 9)),  # the month's last day when it is shorter
            (moment(2028, 1, 31), 1, moment(2028, 2, 29)),  # a leap year
            (moment(2026, 11, 15), 3, moment(2027, 2, 15)),  # across a year
            (moment(2026, 12, 7), 24, moment(2028, 12, 7)),
        ],
    )
    def test_months(self, start, months, expected):
        assert add_months(start, months) == expected
        assert expiry_for(start, period=months, unit="months") == expected

    def test_days_and_none(self):
        start = moment(2026, 12, 7, 10)
        assert expiry_for(start, period=90, unit="days") == start + 90 * DAY
        assert expiry_for(start, period=None, unit="months") is None

    @pytest.mark.parametrize(("text", "days"), [("60, 7", (60, 7)), ("7;60;7", (60, 7)), ("", ()), (" 1 ", (1,))])
    def test_reminder_days(self, text, days):
        assert reminder_days_parse(text) == days

    @pytest.mark.parametrize(
        ("text", "words"),
        [("sixty", "'sixty' is not a number of days"), ("0", "between 1 and 3650"), ("1,2,3,4,5,6", "At most 5")],
    )
    def test_bad_reminder_days_say_why(self, text, words):
        with pytest.raises(ValueError, match=words):
            reminder_days_parse(text)

    def test_the_smallest_reached_offset_is_due_once(self):
        issued, expires = moment(2026, 1, 1), moment(2027, 1, 1)
        due = lambda now, sent=frozenset(): reminder_due(  # noqa: E731
            issued_at=issued, expires_at=expires, now=now, reminder_days=(60, 7), sent=set(sent)
        )
        assert due(expires - 61 * DAY) is None
        assert due(expires - 59 * DAY) == 60
        assert due(expires - 59 * DAY, {60}) is None
        assert due(expires - 5 * DAY) == 7  # a late run sends the nearer reminder only
        assert due(expires - 5 * DAY, {60}) == 7
        assert due(expires - 5 * DAY, {7}) is None
        assert due(expires + DAY) is None  # expired: no reminder

    def test_offsets_longer_than_the_validity_are_ignored(self):
        issued = moment(2026, 1, 1)
        expires = issued + 30 * DAY
        assert reminder_due(issued_at=issued, expires_at=expires, now=issued, reminder_days=(60, 7), sent=set()) is None
        assert renewal_opens(issued_at=issued, expires_at=expires, reminder_days=(60, 7)) == expires - 7 * DAY
        assert renewal_opens(issued_at=issued, expires_at=expires, reminder_days=()) == expires


@pytest.fixture
def valid_for_a_year(configuration):
    configuration.validity_period = 12
    configuration.save()
    return configuration


@pytest.fixture
def issued(valid_for_a_year, learner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        credential = credential_issue(user_id=learner.pk, configuration=valid_for_a_year, source=SOURCE)
    credential.refresh_from_db()
    assert credential.status == Status.AVAILABLE
    return credential


def expire(credential: Credential, *, ago: timedelta = DAY) -> Credential:
    """Move a credential's issue and expiry into the past, as if time had passed."""
    expires = timezone.now() - ago
    Credential.objects.filter(pk=credential.pk).update(
        created=expires - 365 * DAY, valid_from=expires - 365 * DAY, expires_at=expires
    )
    credential.refresh_from_db()
    return credential


@pytest.mark.django_db
class TestIssue:
    def test_the_expiry_is_recorded_at_issue_and_never_follows_the_configuration(self, issued, valid_for_a_year):
        assert issued.expires_at == add_months(issued.created, 12)
        valid_for_a_year.validity_period, valid_for_a_year.validity_unit = 30, "days"
        valid_for_a_year.save()
        issued.refresh_from_db()
        assert issued.expires_at == add_months(issued.created, 12)

    def test_without_a_period_nothing_expires(self, configuration, learner):
        credential = credential_issue(user_id=learner.pk, configuration=configuration, source=SOURCE)
        assert credential.expires_at is None
        assert credential_public_status(credential).expires_at is None

    def test_a_run_records_the_expiry_in_bulk_too(self, valid_for_a_year, course):
        from learning_credentials.services.configuration import configuration_issue_chunk

        users = [factories.UserFactory() for _ in range(3)]
        for user in users:
            factories.enroll(user)
            factories.set_completion(user, course, 1.0)
        configuration_issue_chunk(
            configuration_id=valid_for_a_year.pk, user_ids=[u.pk for u in users], run_id=None, source="schedule"
        )
        for credential in Credential.objects.filter(user__in=users):
            assert credential.expires_at == add_months(credential.created, 12)

    def test_a_reissue_keeps_the_expiry_a_new_name_is_no_new_achievement(self, issued):
        renamed = credential_reissue(credential=issued, source=SOURCE, reason="name change")
        assert renamed.expires_at == issued.expires_at

    def test_the_bad_reminder_days_are_refused_in_words(self, admin_client, valid_for_a_year):
        url = reverse("admin:learning_credentials_credentialconfiguration_change", args=[valid_for_a_year.pk])
        page = admin_client.get(url)
        form = page.context["adminform"].form
        data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
        data.update(reminder_days="sixty", custom_options="{}", validity_period="12")
        answer = admin_client.post(url, data)
        assert answer.status_code == 200
        errors = answer.context["adminform"].form.errors
        assert list(errors) == ["reminder_days"]
        assert errors["reminder_days"][0].startswith("'sixty' is not a number of days between 1 and 3650")

    def test_reminder_days_are_stored_as_they_apply(self, valid_for_a_year):
        valid_for_a_year.reminder_days = " 7; 60, 7,"
        valid_for_a_year.full_clean()  # what the admin's form does before it saves
        assert valid_for_a_year.reminder_days == "60, 7"
        valid_for_a_year.reminder_days = "sixty"
        with pytest.raises(ValidationError) as refused:
            valid_for_a_year.full_clean()
        assert list(refused.value.message_dict) == ["reminder_days"]


@pytest.mark.django_db
class TestPublicState:
    def test_past_its_expiry_every_surface_says_expired(self, client, issued, learner):
        expired = expire(issued)
        page = client.get(f"/learning_credentials/verify/{expired.verify_uuid}/").content.decode()
        assert 'data-status="expired"' in page and "This credential expired on" in page
        assert "it has not been revoked" in page and "Expired on" in page
        answer = client.get(f"/api/learning_credentials/v1/metadata/{expired.verify_uuid}/").json()
        assert answer["status"] == "expired" and answer["expires_at"].startswith(expired.expires_at.date().isoformat())
        by_code = client.get(f"/api/learning_credentials/v1/verify/{expired.verification_code}/").json()
        assert by_code["status"] == "expired"
        client.force_login(learner)
        own = client.get("/learning_credentials/credentials/").content.decode()
        assert 'class="status expired"' in own and "Expired on" in own
        detail = client.get(f"/learning_credentials/credentials/{expired.uuid}/").content.decode()
        assert 'class="status expired"' in detail

    def test_a_valid_credential_says_until_when(self, client, issued):
        page = client.get(f"/learning_credentials/verify/{issued.verify_uuid}/").content.decode()
        assert 'data-status="valid"' in page and "Valid until" in page and "data-expires" in page
        assert client.get(f"/api/learning_credentials/v1/metadata/{issued.verify_uuid}/").json()["status"] == "valid"

    def test_precedence_revoked_then_suspended_then_expired(self, issued):
        expired = expire(issued)
        assert credential_public_status(expired).status == "expired"
        credential_suspend(credential=expired, reason="inquiry", source="admin")
        expired.refresh_from_db()
        assert credential_public_status(expired).status == "suspended"
        revoked = credential_invalidate(credential=expired, category="issued_in_error", source="admin")
        assert credential_public_status(revoked).status == "revoked"
        assert credential_public_status(revoked).expires_at == expired.expires_at

    def test_the_share_image_is_stamped_expired(self, issued):
        valid_png, _ = credential_share_image(credential=issued, extension="png")
        expired_png, _ = credential_share_image(credential=expire(issued), extension="png")
        assert valid_png != expired_png  # a picture of its own, cached under the state it shows
        names = artifact_storage().listdir(share_image_folder(issued.pk))[1]
        assert any(name.startswith("share-expired-") for name in names)

    def test_linkedin_gets_the_expiration(self, issued):
        params = parse_qs(urlparse(linkedin_add_to_profile_url(issued, organization_name="DemoX")).query)
        expires = timezone.localtime(issued.expires_at)
        assert params["expirationYear"] == [str(expires.year)] and params["expirationMonth"] == [str(expires.month)]

    def test_the_expires_placeholder(self):
        data = CredentialData(
            learner_name="Ada",
            context_name="CS101",
            context_key="course-v1:DemoX+CS101+2026",
            type_name="Certificate",
            issue_date=datetime(2026, 12, 7).date(),
            verify_url="https://lms.example.com/v",
            verify_uuid="u",
            verify_code="C",
        )
        assert data.placeholders()["expires"] == ""
        later = CredentialData(**{**data.__dict__, "expiry_date": datetime(2027, 12, 7).date()})
        assert later.placeholders()["expires"] == "7 December 2027"

"""Entitlements redeemed with points, included in premium, revoked; the certification API (seed 004 §2.1, §6.2)."""

import pytest
from django.db import IntegrityError
from rest_framework.test import APIClient

from learning_credentials.adapters import _load
from learning_credentials.exams.exceptions import CertificationUnavailable, InsufficientPoints, PointsNotAccepted
from learning_credentials.exams.models import (
    CertificationEvent,
    CertificationSettings,
    Entitlement,
    PointsAccount,
    PointsEntry,
)
from learning_credentials.exams.selectors import points_balance
from learning_credentials.exams.services import (
    entitlement_for_premium,
    entitlement_grant,
    entitlement_redeem_points,
    entitlement_revoke,
    points_grant,
)
from tests import factories
from tests.concurrency import run_together

from .conftest import COURSE, make_pool

API = "/api/learning_credentials/v1/certification"
SOURCE = "api"


@pytest.fixture
def offered(certification):
    """The demo course with a full pool: certification costs 49.00 USD or 60 points."""
    make_pool(COURSE, 150)
    return certification


def _points(learner, amount: int) -> None:
    points_grant(user_id=learner.pk, amount=amount, activity_source="command", note="welcome")


def _redeem(learner):
    return entitlement_redeem_points(user_id=learner.pk, context_key=COURSE, activity_source=SOURCE)


@pytest.mark.django_db
class TestRedeemPoints:
    def test_redeeming_spends_the_price_and_entitles(self, offered, learner):
        _points(learner, 100)
        entitlement, created = _redeem(learner)
        assert created and (entitlement.source, entitlement.points) == ("points", 60)
        assert points_balance(user_id=learner.pk) == 40
        kinds = list(CertificationEvent.objects.order_by("id").values_list("kind", flat=True))
        assert kinds == ["points_granted", "points_spent", "entitlement_granted"]

    def test_already_entitled_spends_nothing(self, offered, learner):
        _points(learner, 200)
        first, _created = _redeem(learner)
        again, created = _redeem(learner)
        assert again == first and not created
        assert points_balance(user_id=learner.pk) == 140

    def test_insufficient_points_changes_nothing(self, offered, learner):
        _points(learner, 59)
        with pytest.raises(InsufficientPoints, match="costs 60 points; your balance is 59"):
            _redeem(learner)
        assert points_balance(user_id=learner.pk) == 59
        assert not Entitlement.objects.exists() and not PointsEntry.objects.filter(kind="spend").exists()

    def test_unavailable_certification_cannot_be_redeemed(self, certification, learner):
        make_pool(COURSE, 49)
        _points(learner, 100)
        with pytest.raises(CertificationUnavailable, match="Contact the course creator"):
            _redeem(learner)
        assert points_balance(user_id=learner.pk) == 100

    def test_a_course_without_a_points_price(self, offered, learner):
        CertificationSettings.objects.filter(pk=offered.pk).update(price_points=None)
        _points(learner, 100)
        with pytest.raises(PointsNotAccepted):
            _redeem(learner)

    def test_revoking_gives_the_points_back_once_and_allows_redeeming_again(self, offered, learner):
        _points(learner, 100)
        entitlement, _created = _redeem(learner)
        entitlement_revoke(entitlement=entitlement, reason="staff", activity_source="admin")
        entitlement_revoke(entitlement=entitlement, reason="staff", activity_source="admin")
        assert points_balance(user_id=learner.pk) == 100
        second, created = _redeem(learner)
        assert created and second != entitlement and second.reference != entitlement.reference
        assert points_balance(user_id=learner.pk) == 40


@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_spend_once(offered, learner):
    _points(learner, 1000)
    results = run_together(lambda: _redeem(learner), workers=4)
    assert sum(created for _entitlement, created in results) == 1
    assert len({entitlement.pk for entitlement, _created in results}) == 1
    assert PointsAccount.objects.get(user=learner).balance == 940
    assert PointsEntry.objects.filter(kind="spend").count() == 1


@pytest.mark.django_db
class TestHostPoints:
    """A host that keeps points itself: its hooks are used instead of the built-in accounts."""

    @pytest.fixture
    def host(self, settings):
        from sandbox.lms.adapter import SandboxAdapter

        wallet = {"balance": 100, "spent": {}, "refunded": []}

        class HostWithPoints(SandboxAdapter):
            def points_balance(self, user_id):
                return wallet["balance"]

            def points_spend(self, user_id, amount, reference):
                if reference in wallet["spent"]:
                    return True
                if wallet["balance"] < amount:
                    return False
                wallet["balance"] -= amount
                wallet["spent"][reference] = amount
                return True

            def points_refund(self, reference):
                if reference in wallet["spent"] and reference not in wallet["refunded"]:
                    wallet["balance"] += wallet["spent"][reference]
                    wallet["refunded"].append(reference)

        import sys
        from types import ModuleType

        module = ModuleType("lc_test_host_points")
        module.HostWithPoints = HostWithPoints
        sys.modules[module.__name__] = module
        settings.LEARNING_CREDENTIALS = {
            **settings.LEARNING_CREDENTIALS,
            "ADAPTER": "lc_test_host_points.HostWithPoints",
        }
        _load.cache_clear()  # each test's host has its own wallet
        yield wallet
        _load.cache_clear()
        del sys.modules[module.__name__]

    def test_the_hosts_points_are_spent_and_refunded(self, offered, learner, host):
        entitlement, created = _redeem(learner)
        assert created and host["balance"] == 40 and not PointsAccount.objects.exists()
        assert points_balance(user_id=learner.pk) == 40
        entitlement_revoke(entitlement=entitlement, reason="staff", activity_source="admin")
        assert host["balance"] == 100 and host["refunded"] == [entitlement.reference]

    def test_the_host_refusing_changes_nothing(self, offered, learner, host):
        host["balance"] = 10
        with pytest.raises(InsufficientPoints, match="your balance is 10"):
            _redeem(learner)
        assert not Entitlement.objects.exists()


@pytest.mark.django_db
class TestGrants:
    def test_a_payment_reference_grants_once(self, offered, learner):
        first, created = entitlement_grant(
            user_id=learner.pk, context_key=COURSE, source="paid", activity_source=SOURCE, reference="ORD-1"
        )
        again, created_again = entitlement_grant(
            user_id=learner.pk, context_key=COURSE, source="paid", activity_source=SOURCE, reference="ORD-1"
        )
        assert created and not created_again and again == first
        with pytest.raises(IntegrityError):
            entitlement_grant(
                user_id=factories.UserFactory(username="other").pk,
                context_key=COURSE,
                source="paid",
                activity_source=SOURCE,
                reference="ORD-1",
            )

    def test_premium_access_entitles_on_the_first_read(self, offered, learner):
        CertificationSettings.objects.filter(pk=offered.pk).update(premium_includes_certification=True)
        offered.refresh_from_db()
        factories.enroll(learner)
        from sandbox.lms.models import Enrollment

        Enrollment.objects.filter(user=learner).update(mode="audit")  # no premium access
        assert entitlement_for_premium(user_id=learner.pk, certification=offered, activity_source=SOURCE) is None
        Enrollment.objects.filter(user=learner).update(mode="verified")
        entitlement = entitlement_for_premium(user_id=learner.pk, certification=offered, activity_source=SOURCE)
        assert entitlement.source == "included_in_premium"
        assert entitlement_for_premium(user_id=learner.pk, certification=offered, activity_source=SOURCE) == entitlement

    def test_premium_that_does_not_include_certification_entitles_nobody(self, offered, learner):
        factories.enroll(learner)
        from sandbox.lms.models import Enrollment

        Enrollment.objects.filter(user=learner).update(mode="verified")
        assert entitlement_for_premium(user_id=learner.pk, certification=offered, activity_source=SOURCE) is None


@pytest.mark.django_db
class TestApi:
    @pytest.fixture
    def api(self, learner):
        client = APIClient()
        client.force_authenticate(learner)
        return client

    def test_the_status_says_everything_the_learner_needs(self, api, offered, learner):
        _points(learner, 75)
        body = api.get(f"{API}/{COURSE}/").json()
        assert body == {
            "context_key": str(COURSE),
            "enabled": True,
            "available": True,
            "message": "",
            "pool_count": 150,
            "exam_size": 50,
            "price": {"amount": "49.00", "currency": "USD"},
            "price_points": 60,
            "premium_includes_certification": False,
            "entitlement_owned": False,
            "entitlement": None,
            "points_balance": 75,
            "username": learner.username,
            "completed": False,
            "chip": "in_progress",
            "chip_label": "In progress",
            "cta": None,
            "cta_label": None,
            "helper": "",
            "most_recent_score": None,
            "certification_url": None,
        }

    def test_reading_the_status_entitles_a_premium_learner(self, api, offered, learner):
        CertificationSettings.objects.filter(pk=offered.pk).update(premium_includes_certification=True)
        factories.enroll(learner)  # the sandbox's default mode, verified: premium access
        body = api.get(f"{API}/{COURSE}/").json()
        assert body["entitlement_owned"] and body["entitlement"]["source"] == "included_in_premium"
        assert CertificationEvent.objects.filter(kind="entitlement_granted", source="api").count() == 1

    def test_an_unavailable_course_says_so_in_the_seeds_words(self, api, certification):
        body = api.get(f"{API}/{COURSE}/").json()
        assert (body["available"], body["message"]) == (False, "Certification unavailable. Contact the course creator.")

    def test_redeeming_through_the_api(self, api, offered, learner):
        _points(learner, 100)
        first = api.post(f"{API}/{COURSE}/redeem-points/")
        assert first.status_code == 201 and first.json()["entitlement"]["source"] == "points"
        again = api.post(f"{API}/{COURSE}/redeem-points/")
        assert again.status_code == 200 and again.json()["points_balance"] == 40

    @pytest.mark.parametrize(("points", "code"), [(10, "insufficient_points"), (None, "certification_unavailable")])
    def test_refusals_are_409_with_their_code(self, api, offered, learner, points, code):
        if points is None:
            CertificationSettings.objects.filter(pk=offered.pk).update(enabled=False)
        else:
            _points(learner, points)
        response = api.post(f"{API}/{COURSE}/redeem-points/")
        assert response.status_code == 409 and response.json()["code"] == code

    def test_another_learners_status_is_for_staff(self, api, offered, staff_user, learner):
        other = factories.UserFactory(username="other")
        assert api.get(f"{API}/{COURSE}/", {"username": "other"}).status_code == 403
        staff = APIClient()
        staff.force_authenticate(staff_user)
        assert staff.get(f"{API}/{COURSE}/", {"username": other.username}).json()["username"] == "other"

    def test_bad_input(self, api, offered):
        assert api.get(f"{API}/not-a-key/").json()["code"] == "invalid_context_key"
        assert APIClient().get(f"{API}/{COURSE}/").status_code == 401


@pytest.mark.django_db
class TestGrantingPoints:
    def test_the_command_grants_to_each_learner_with_the_note(self, learner):
        from io import StringIO

        from django.core.management import call_command

        other = factories.UserFactory(username="bob")
        out = StringIO()
        call_command("grant_points", "25", learner.username, "bob", note="Welcome gift", stdout=out)
        assert (points_balance(user_id=learner.pk), points_balance(user_id=other.pk)) == (25, 25)
        assert out.getvalue() == f"{learner.username}: +25 points\nbob: +25 points\n"
        assert set(PointsEntry.objects.values_list("note", flat=True)) == {"Welcome gift"}

    @pytest.mark.parametrize(
        ("points", "users", "message"),
        [("0", ["ada"], "at least one"), ("5", ["ada", "nobody"], "No user named 'nobody'")],
    )
    def test_the_command_grants_nothing_on_bad_input(self, learner, points, users, message):
        from django.core.management import CommandError, call_command

        with pytest.raises(CommandError, match=message):
            call_command("grant_points", points, *users, note="x")
        assert not PointsEntry.objects.exists()

    def test_staff_grant_points_in_the_admin(self, admin_client, learner):
        page = admin_client.get("/admin/learning_credentials_exams/pointsaccount/add/")
        assert page.status_code == 200 and "Grant points" in page.content.decode()
        refused = admin_client.post(
            "/admin/learning_credentials_exams/pointsaccount/add/", {"username": "nobody", "points": 5, "note": "x"}
        )
        assert "There is no user with this username." in refused.content.decode()
        response = admin_client.post(
            "/admin/learning_credentials_exams/pointsaccount/add/",
            {"username": learner.username, "points": 30, "note": "Support gesture"},
        )
        assert response.status_code == 302
        entry = PointsEntry.objects.get()
        assert (entry.amount, entry.note, entry.actor.username) == (30, "Support gesture", "admin")
        assert admin_client.get(response["Location"]).status_code == 200
        assert CertificationEvent.objects.filter(kind="points_granted", actor__username="admin").exists()

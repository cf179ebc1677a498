"""The rules the database holds for certification (on SQLite, PostgreSQL and MariaDB alike)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone
from opaque_keys.edx.keys import CourseKey, LearningContextKey

from learning_credentials.exams.models import (
    CertificationSettings,
    Entitlement,
    PointsAccount,
    PointsEntry,
    Question,
    reference_key,
)
from tests import factories

from .conftest import CHILD, COURSE

pytestmark = pytest.mark.django_db(transaction=True)


def _entitlement(user, context_key=COURSE, **fields) -> Entitlement:
    return Entitlement.objects.create(user=user, context_key=context_key, source=Entitlement.Source.POINTS, **fields)


class TestEntitlements:
    def test_one_active_entitlement_per_learner_and_course(self, learner):
        _entitlement(learner)
        with pytest.raises(IntegrityError), transaction.atomic():
            _entitlement(learner)

    def test_a_revoked_one_does_not_block_buying_again(self, learner):
        first = _entitlement(learner)
        first.active, first.revoked_at, first.revoked_reason = None, timezone.now(), "refunded"
        first.save()
        _entitlement(learner)
        other = _entitlement(learner, context_key=CHILD)
        assert Entitlement.objects.filter(user=learner, active=True).count() == 2 and other.pk

    def test_active_and_revocation_agree(self, learner):
        with pytest.raises(IntegrityError), transaction.atomic():
            _entitlement(learner, revoked_at=timezone.now())

    @pytest.mark.parametrize("second", ["ord_A", "ord_a", "ord_A "])
    def test_a_payment_reference_grants_once_whatever_the_collation(self, learner, second):
        _entitlement(learner, reference="ord_A", reference_key=reference_key("ord_A"))
        stranger = factories.UserFactory(username="stranger")
        if second == "ord_A":
            with pytest.raises(IntegrityError), transaction.atomic():
                _entitlement(stranger, reference=second, reference_key=reference_key(second))
        else:  # a different reference, even where the database's collation would compare them equal
            _entitlement(stranger, reference=second, reference_key=reference_key(second))


class TestPoints:
    def test_a_balance_never_goes_below_zero(self, learner):
        account = PointsAccount.objects.create(user=learner, balance=10)
        # The check constraint, or MariaDB's unsigned column before it.
        with pytest.raises((IntegrityError, DataError)), transaction.atomic():
            PointsAccount.objects.filter(pk=account.pk).update(balance=-1)

    def test_a_reference_is_spent_once_and_refunded_once(self, learner):
        account = PointsAccount.objects.create(user=learner, balance=100)
        key = reference_key("redeem-1")
        PointsEntry.objects.create(account=account, kind="spend", amount=-60, reference="redeem-1", reference_key=key)
        with pytest.raises(IntegrityError), transaction.atomic():
            PointsEntry.objects.create(account=account, kind="spend", amount=-60, reference_key=key)
        PointsEntry.objects.create(account=account, kind="refund", amount=60, reference_key=key)
        PointsEntry.objects.create(account=account, kind="grant", amount=5)  # grants need no reference
        PointsEntry.objects.create(account=account, kind="grant", amount=5)

    @pytest.mark.parametrize(("kind", "amount"), [("spend", 60), ("grant", -5), ("refund", 0)])
    def test_the_sign_matches_the_kind(self, learner, kind, amount):
        account = PointsAccount.objects.create(user=learner, balance=100)
        with pytest.raises(IntegrityError), transaction.atomic():
            PointsEntry.objects.create(account=account, kind=kind, amount=amount)


class TestQuestions:
    def test_an_external_id_once_per_pool_whatever_the_collation(self, db):
        Question.objects.create(pool_context_key=COURSE, external_id="Q1", lesson="L1", kind="single", text="?")
        Question.objects.create(pool_context_key=COURSE, external_id="q1", lesson="L1", kind="single", text="?")
        Question.objects.create(pool_context_key=CHILD, external_id="Q1", lesson="L1", kind="single", text="?")
        with pytest.raises(IntegrityError), transaction.atomic():
            Question.objects.create(pool_context_key=COURSE, external_id="Q1", lesson="L2", kind="single", text="!")


class TestCertificationSettings:
    def _clean(self, **fields):
        CertificationSettings(context_key=COURSE, **fields).full_clean()

    def test_a_price_needs_its_currency(self, db):
        with pytest.raises(ValidationError, match="price and its currency together"):
            self._clean(price_amount="49.00")
        with pytest.raises(IntegrityError), transaction.atomic():
            CertificationSettings.objects.create(context_key=COURSE, price_amount="49.00")

    def test_only_a_child_course_sets_a_shorter_exam(self, db):
        with pytest.raises(ValidationError, match="Only a child course"):
            self._clean(exam_size=10)
        with pytest.raises(ValidationError, match="shorter than the standard 50"):
            CertificationSettings(context_key=CHILD, pool_context_key=COURSE, exam_size=50).full_clean()
        CertificationSettings(context_key=CHILD, pool_context_key=COURSE, exam_size=10).full_clean()

    def test_the_certificate_is_a_configuration_of_the_course(self, configuration):
        with pytest.raises(ValidationError, match="configuration of this course"):
            CertificationSettings(context_key=CHILD, configuration=configuration).full_clean()
        CertificationSettings(context_key=COURSE, configuration=configuration).full_clean()

    def test_certification_is_for_courses(self, db):
        CertificationSettings(context_key=CourseKey.from_string(factories.COURSE_KEY)).full_clean()
        path = LearningContextKey.from_string("path-v1:DemoX+ds+2026+all")
        with pytest.raises(ValidationError, match="courses"):
            CertificationSettings(context_key=path).full_clean()


class TestAdmin:
    def test_the_settings_page_says_whether_and_why_not(self, admin_client, certification):
        from .conftest import make_pool

        make_pool(COURSE, 60, lessons=30)
        url = f"/admin/learning_credentials_exams/certificationsettings/{certification.pk}/change/"
        page = admin_client.get(url).content.decode()
        assert "Available. 60 valid questions in the pool; exam size: 50." in page
        assert "The pool holds 60 valid questions; the target is 150." in page
        assert "Lessons with fewer than 5 questions: Lesson 01 (2)" in page

    def test_a_pool_too_small_shows_why(self, admin_client, certification):
        url = f"/admin/learning_credentials_exams/certificationsettings/{certification.pk}/change/"
        assert "The pool holds 0 valid questions; it needs at least 50." in admin_client.get(url).content.decode()

    def test_saving_a_child_exam_as_long_as_the_standard_is_refused(self, admin_client, configuration):
        response = admin_client.post(
            "/admin/learning_credentials_exams/certificationsettings/add/",
            {"context_key": str(CHILD), "pool_context_key": str(COURSE), "exam_size": 50, "enabled": "on"},
        )
        assert response.status_code == 200
        assert "shorter than the standard 50 questions" in response.content.decode()
        assert not CertificationSettings.objects.exists()

    def test_entitlements_are_read_only(self, admin_client, learner):
        entitlement = _entitlement(learner)
        url = f"/admin/learning_credentials_exams/entitlement/{entitlement.pk}/change/"
        assert admin_client.get(url).status_code == 200
        assert admin_client.get("/admin/learning_credentials_exams/entitlement/add/").status_code == 403
        assert admin_client.post(url.replace("change", "delete"), {"post": "yes"}).status_code == 403


class TestRetirement:
    def test_references_and_points_history_are_erased_and_the_reference_stays_used(self, learner):
        from learning_credentials.services.retirement import learner_retire
        from tests.test_retirement import text_in_our_tables

        key = reference_key("ORDER-ada-1")
        _entitlement(learner, reference="ORDER-ada-1", reference_key=key)
        account = PointsAccount.objects.create(user=learner, balance=40)
        PointsEntry.objects.create(account=account, kind="grant", amount=40, note="Welcome gift for Ada")
        learner_retire(user_id=learner.pk)
        text = text_in_our_tables()
        assert "ORDER-ada-1" not in text and "Welcome gift for Ada" not in text
        assert not PointsAccount.objects.exists() and not PointsEntry.objects.exists()
        with pytest.raises(IntegrityError), transaction.atomic():  # the payment still granted once
            _entitlement(factories.UserFactory(username="other"), reference="ORDER-ada-1", reference_key=key)

"""The learner's certification pages through Django's test client (issue 18 points 2 and 3).

"My courses" shows each enrolled course's chip, call to action and helper in a fixed number of
queries; "Get certificate" shows prices and points, sells through the host's checkout or points
with a POST (CSRF), and says every refusal in words. Reading a page never buys anything.
"""

import importlib
import re
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from sandbox.lms.adapter import SandboxAdapter
from sandbox.lms.models import Enrollment, Order

from learning_credentials.adapters import _load
from learning_credentials.exams import urls as exam_urls
from learning_credentials.exams.models import CertificationEvent, CertificationSettings, Entitlement, PointsAccount
from learning_credentials.exams.selectors import certification_checkout_url
from learning_credentials.exams.services import points_grant
from learning_credentials.models import Credential
from tests import factories

from .conftest import COURSE, grant

COURSES = "/learning_credentials/certification/"
PAGE = f"/learning_credentials/certification/{COURSE}/"
UNAVAILABLE = "Certification unavailable. Contact the course creator."


@pytest.fixture
def client(learner):
    client = Client()
    client.force_login(learner)
    return client


def points(learner, amount: int) -> None:
    points_grant(user_id=learner.pk, amount=amount, activity_source="admin")


def main(response) -> str:
    """The page's main element, without the navigation (whose sign-out is a form)."""
    return response.content.decode().split("<main", 1)[1]


def text(response) -> str:
    """The page's words, tags dropped and spaces collapsed, as a reader meets them."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip()


def pay(learner, reference: str = "SBX-1") -> Order:
    """An order the sandbox's checkout recorded as paid."""
    return Order.objects.create(
        reference=reference,
        user=learner,
        context_key=str(COURSE),
        amount=Decimal("49.00"),
        currency="USD",
        paid_at=timezone.now(),
    )


def snapshot(learner) -> tuple:
    """Everything buying could change."""
    return (
        list(Entitlement.objects.values_list("pk", "active")),
        PointsAccount.objects.filter(user=learner).values_list("balance", flat=True).first(),
        CertificationEvent.objects.count(),
    )


@pytest.mark.django_db
class TestMyCourses:
    def test_each_enrolled_course_with_its_chip_call_to_action_and_helper(self, client, for_sale_exam, learner):
        second = factories.make_course("course-v1:DemoX+CS102+2026", "Algorithms")  # enrolled, not completed
        factories.enroll(learner, second.key)
        factories.make_course("course-v1:DemoX+CS103+2026", "Compilers")
        factories.enroll(learner, "course-v1:DemoX+CS103+2026", active=False)  # unenrolled: not listed
        factories.enroll(learner, "path-v1:DemoX+data+2026+all")  # a learning path: not a course
        response = client.get(COURSES)
        assert response.status_code == 200
        words = text(response)
        assert words.index("Algorithms") < words.index("Introduction to Computing")  # by name
        assert "Compilers" not in words and "path-v1" not in words
        assert "Algorithms Status: … In progress" in words
        assert "Introduction to Computing Status: ★ Completed, certificate available Get certificate" in words
        page = response.content.decode()
        assert page.count('class="button"') == 1  # in progress has no call to action
        assert f'href="{PAGE}"' in page

    def test_entitled_certified_revoked_and_unavailable(self, client, sit, learner, certification):
        sit(45)
        credential = Credential.objects.get(active=True)
        words = text(client.get(COURSES))
        assert "Status: ✔ Certified Most recent score: 90%. View certificate" in words
        assert f'href="/learning_credentials/credentials/{credential.uuid}/"' in client.get(COURSES).content.decode()
        sit(20)
        assert "Status: ✕ Certification revoked Most recent score: 40%. Start final exam" in text(client.get(COURSES))
        CertificationSettings.objects.filter(pk=certification.pk).update(enabled=False)
        assert f"Status: ⊘ Certification unavailable {UNAVAILABLE}" in text(client.get(COURSES))

    def test_start_final_exam_leads_to_the_exam_page(self, client, ready):
        response = client.get(COURSES)
        assert "Status: ◆ Certification unlocked Start final exam" in text(response)
        assert f'href="{PAGE}exam/"' in response.content.decode()

    def test_a_learner_without_courses_is_told_so(self, client, learner):
        Enrollment.objects.filter(user=learner).delete()
        assert "You are not enrolled in any course yet." in text(client.get(COURSES))

    def test_the_number_of_queries_is_the_same_for_1_and_10_courses(self, client, course_list, learner):
        counts = []
        for shown in (course_list[:0], course_list[:9]):  # with the demo course: 1, then 10
            Enrollment.objects.filter(user=learner).exclude(context_key=str(COURSE)).update(is_active=False)
            Enrollment.objects.filter(user=learner, context_key__in=[str(key) for key in shown]).update(is_active=True)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(COURSES)
            assert response.status_code == 200
            assert text(response).count("Status:") == len(shown) + 1
            counts.append(len(queries))
        assert counts[0] == counts[1], counts

    def test_listing_changes_nothing_even_for_premium(self, client, for_sale_exam, learner):
        CertificationSettings.objects.filter(pk=for_sale_exam.pk).update(premium_includes_certification=True)
        before = snapshot(learner)
        assert "Completed, certificate available" in text(client.get(COURSES))
        assert snapshot(learner) == before


@pytest.mark.django_db
class TestGetCertificatePage:
    def test_prices_points_pay_and_redeem(self, client, for_sale_exam, learner):
        points(learner, 100)
        response = client.get(PAGE)
        assert response.status_code == 200
        words = text(response)
        assert "Introduction to Computing" in words
        assert "Price 49.00 USD Price in points 60 points Your points 100 points" in words
        return_url = quote(f"http://testserver{PAGE}", safe="")
        assert f'href="/checkout/{COURSE}/?next={return_url}">Pay 49.00 USD</a>' in response.content.decode()
        assert "Redeem 60 points" in words

    def test_reading_changes_nothing(self, client, for_sale_exam, learner):
        points(learner, 100)
        pay(learner)
        before = snapshot(learner)
        for url in (PAGE, f"{PAGE}?payment_reference=SBX-1", f"{PAGE}?action=redeem"):
            assert client.get(url).status_code == 200
            assert client.head(url).status_code == 200
        assert snapshot(learner) == before

    def test_redeeming_points_entitles(self, client, for_sale_exam, learner):
        points(learner, 100)
        response = client.post(PAGE, {"action": "redeem"}, follow=True)
        assert response.redirect_chain == [(PAGE, 302)]
        words = text(response)
        assert "You redeemed 60 points: you are entitled to the final exam." in words
        assert "You are entitled to take the final exam of this course." in words
        assert "Obtained Redeemed with points" in words
        assert "Redeem 60 points" not in words and "Pay 49.00 USD" not in words
        assert Entitlement.objects.get().source == "points"
        assert PointsAccount.objects.get(user=learner).balance == 40

    def test_too_few_points_is_a_sentence_and_spends_nothing(self, client, for_sale_exam, learner):
        points(learner, 50)
        before = snapshot(learner)
        response = client.post(PAGE, {"action": "redeem"}, follow=True)
        assert response.status_code == 200
        assert "Certification costs 60 points; your balance is 50." in text(response)
        assert snapshot(learner) == before

    def test_the_checkout_s_reference_completes_the_purchase_with_a_post(self, client, for_sale_exam, learner):
        order = pay(learner)
        page = client.get(f"{PAGE}?payment_reference={order.reference}")
        assert "You paid at the checkout (reference SBX-1)." in text(page)
        assert not Entitlement.objects.exists()
        response = client.post(PAGE, {"action": "purchase", "payment_reference": order.reference}, follow=True)
        assert "Your payment is confirmed: you are entitled to the final exam." in text(response)
        assert "Obtained Paid" in text(response)
        assert Entitlement.objects.get().reference == "SBX-1"
        again = client.post(PAGE, {"action": "purchase", "payment_reference": order.reference}, follow=True)
        assert "Your payment is confirmed" in text(again) and Entitlement.objects.count() == 1

    def test_an_unconfirmed_payment_is_a_sentence_and_may_be_retried(self, client, for_sale_exam, learner):
        response = client.post(PAGE, {"action": "purchase", "payment_reference": "SBX-404"}, follow=True)
        assert response.redirect_chain == [(f"{PAGE}?payment_reference=SBX-404", 302)]
        words = text(response)
        assert "No payment of at least 49.00 USD for this course is confirmed for this reference." in words
        assert "If you have just paid, try again in a moment." in words and "Complete purchase" in words
        assert not Entitlement.objects.exists()

    @pytest.mark.parametrize(
        ("data", "words"),
        [
            ({"action": "purchase", "payment_reference": "SBX\x001"}, "The payment reference is missing or malformed"),
            ({"action": "purchase"}, "The payment reference is missing or malformed"),
            ({"action": "steal"}, "Choose how to obtain certification"),
            ({}, "Choose how to obtain certification"),
        ],
    )
    def test_a_malformed_post_is_a_sentence(self, client, for_sale_exam, learner, data, words):
        before = snapshot(learner)
        response = client.post(PAGE, data, follow=True)
        assert response.status_code == 200 and words in text(response)
        assert snapshot(learner) == before

    def test_a_reference_used_by_another_learner_is_refused(self, client, for_sale_exam, learner):
        grace = factories.UserFactory(username="grace")
        pay(grace)
        response = client.post(PAGE, {"action": "purchase", "payment_reference": "SBX-1"}, follow=True)
        assert "No payment of at least 49.00 USD" in text(response) and not Entitlement.objects.exists()

    def test_csrf_is_required(self, learner, for_sale_exam):
        points(learner, 100)
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(learner)
        before = snapshot(learner)
        assert browser.post(PAGE, {"action": "redeem"}).status_code == 403
        assert snapshot(learner) == before
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', browser.get(PAGE).content.decode())[1]
        assert browser.post(PAGE, {"action": "redeem", "csrfmiddlewaretoken": token}).status_code == 302
        assert Entitlement.objects.get().source == "points"

    def test_unavailable_certification_offers_nothing(self, client, certification, learner):
        points(learner, 100)
        response = client.get(PAGE)
        words = text(response)
        assert UNAVAILABLE in words
        assert "Pay" not in words and "Redeem" not in words and "<form" not in main(response)
        response = client.post(PAGE, {"action": "redeem"}, follow=True)
        assert UNAVAILABLE in text(response) and not Entitlement.objects.exists()

    def test_entitled_says_so_with_the_most_recent_score(self, client, sit, learner):
        sit(40)
        sit(20)  # the certificate of 80% revoked by a 40%
        words = text(client.get(PAGE))
        assert "Status: ✕ Certification revoked Most recent score: 40%." in words
        assert "You are entitled to take the final exam of this course." in words
        assert "a most recent score of 50% or below revokes it" in words
        assert "Start" not in words and "<form" not in main(client.get(PAGE))  # no exam starts here

    def test_certified_shows_the_score_and_the_certificate(self, client, sit, learner):
        sit(45)
        credential = Credential.objects.get(active=True)
        response = client.get(PAGE)
        words = text(response)
        assert "You are certified in this course. Your certificate shows your most recent score: 90%." in words
        assert f'href="/learning_credentials/credentials/{credential.uuid}/">View certificate</a>' in (
            response.content.decode()
        )

    def test_reading_the_page_turns_premium_access_into_an_entitlement(self, client, for_sale_exam, learner):
        CertificationSettings.objects.filter(pk=for_sale_exam.pk).update(premium_includes_certification=True)
        words = text(client.get(PAGE))  # the sandbox's enrollments are "verified": premium
        assert "Obtained Included in premium" in words
        assert Entitlement.objects.get().source == "included_in_premium"

    def test_a_course_without_a_price_in_money_has_no_pay_button(self, client, for_sale_exam, learner):
        CertificationSettings.objects.filter(pk=for_sale_exam.pk).update(price_amount=None, price_currency="")
        words = text(client.get(PAGE))
        assert "Pay" not in words and "Redeem 60 points" in words

    def test_not_completed_can_buy_and_is_told_when_the_exam_comes(self, client, for_sale, learner):
        words = text(client.get(PAGE))
        assert "Status: … In progress" in words and "Redeem 60 points" in words
        assert "You can take the final exam once you have completed the course." in words

    @pytest.mark.parametrize(
        "path",
        [
            "/learning_credentials/certification/not-a-key/",
            "/learning_credentials/certification/course-v1:DemoX+NOPE+2026/",  # not enrolled
            "/learning_credentials/certification/path-v1:DemoX+data+2026+all/",  # a learning path
        ],
    )
    def test_404_for_what_is_not_one_of_the_learner_s_courses(self, client, for_sale, learner, path):
        factories.enroll(learner, "path-v1:DemoX+data+2026+all")
        assert client.get(path).status_code == 404
        assert client.post(path, {"action": "redeem"}).status_code == 404
        assert not Entitlement.objects.exists()

    def test_an_unenrolled_learner_gets_404_too(self, client, for_sale, learner):
        factories.enroll(learner, str(COURSE), active=False)
        assert client.get(PAGE).status_code == 404

    @pytest.mark.parametrize("url", [COURSES, PAGE])
    def test_signing_in_is_required(self, for_sale, url):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_other_methods_are_refused(self, client, for_sale):
        assert client.put(PAGE).status_code == 405
        assert client.post(COURSES).status_code == 405


class HostWithoutCheckout(SandboxAdapter):
    """A host whose adapter has no checkout hook: EXAMS' CHECKOUT_URL says where to pay."""

    certification_checkout_url = None


@pytest.fixture
def host_without_checkout(settings):
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "ADAPTER": f"{__name__}.HostWithoutCheckout"}
    _load.cache_clear()
    yield
    _load.cache_clear()


@pytest.mark.django_db
class TestCheckoutUrl:
    def test_the_adapter_s_own_checkout_wins(self, settings):
        settings.LEARNING_CREDENTIALS = {
            **settings.LEARNING_CREDENTIALS,
            "EXAMS": {"CHECKOUT_URL": "https://shop.example/{context_key}?r={return_url}"},
        }
        url = certification_checkout_url(user_id=1, context_key=COURSE, return_url="https://lms.example/back/?a=1&b=2")
        assert url == f"/checkout/{COURSE}/?next=https%3A%2F%2Flms.example%2Fback%2F%3Fa%3D1%26b%3D2"

    def test_the_setting_s_template_is_filled_in_url_encoded(self, settings, host_without_checkout):
        settings.LEARNING_CREDENTIALS = {
            **settings.LEARNING_CREDENTIALS,
            "EXAMS": {"CHECKOUT_URL": "https://shop.example/certification/{context_key}/?return={return_url}"},
        }
        url = certification_checkout_url(user_id=1, context_key=COURSE, return_url="https://lms.example/back/?a=1&b=2")
        assert url == (
            "https://shop.example/certification/course-v1%3ADemoX%2BCS101%2B2026/"
            "?return=https%3A%2F%2Flms.example%2Fback%2F%3Fa%3D1%26b%3D2"
        )

    def test_without_a_hook_or_the_setting_there_is_no_pay_button(self, client, for_sale, host_without_checkout):
        assert certification_checkout_url(user_id=1, context_key=COURSE, return_url="https://lms.example/") is None
        words = text(client.get(PAGE))
        assert "Price 49.00 USD" in words and "Pay 49.00 USD" not in words and "Redeem 60 points" in words

    def test_the_page_links_to_the_setting_s_checkout(self, client, for_sale, settings, host_without_checkout):
        settings.LEARNING_CREDENTIALS = {
            **settings.LEARNING_CREDENTIALS,
            "EXAMS": {"CHECKOUT_URL": "https://shop.example/buy?course={context_key}&next={return_url}"},
        }
        page = client.get(PAGE).content.decode()
        expected = (
            "https://shop.example/buy?course=course-v1%3ADemoX%2BCS101%2B2026"
            "&amp;next=http%3A%2F%2Ftestserver%2Flearning_credentials%2Fcertification%2F"
            "course-v1%3ADemoX%2BCS101%2B2026%2F"
        )
        assert f'href="{expected}">Pay 49.00 USD</a>' in page


@pytest.mark.django_db
class TestSandboxCheckoutReturns:
    """Opened from the page (``next``), the fake checkout records the order and hands its reference back."""

    def test_paying_returns_to_the_page_with_the_reference_and_buys_nothing_itself(self, client, for_sale, learner):
        checkout = f"/checkout/{COURSE}/?next={quote(f'http://testserver{PAGE}', safe='')}"
        page = client.get(checkout).content.decode()
        assert f'name="next" value="http://testserver{PAGE}"' in page and "Back without paying" in page
        response = client.post(checkout, {"next": f"http://testserver{PAGE}"})
        order = Order.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"http://testserver{PAGE}?payment_reference={order.reference}"
        assert not Entitlement.objects.exists()  # the page completes the purchase

    def test_a_next_on_another_site_is_ignored(self, client, for_sale, learner):
        response = client.post(f"/checkout/{COURSE}/", {"next": "https://evil.example/steal"})
        assert response["Location"] == f"/checkout/{COURSE}/"
        assert Entitlement.objects.get().reference == Order.objects.get().reference  # bought here, as before

    def test_nothing_to_buy_goes_back_to_the_checkout_keeping_next(self, client, ready, learner):
        response = client.post(f"/checkout/{COURSE}/", {"next": PAGE})
        assert response["Location"] == f"/checkout/{COURSE}/?next={quote(PAGE, safe='')}"
        assert not Order.objects.exists()
        grant(learner)  # idempotent: still one entitlement
        assert Entitlement.objects.count() == 1


def _mounted(urls) -> bool:
    return any(getattr(pattern, "urlconf_module", None) is exam_urls for pattern in urls.urlpatterns)


def test_the_pages_mount_only_while_the_sub_app_is_installed(settings):
    from learning_credentials import urls

    assert _mounted(urls)
    without = [app for app in settings.INSTALLED_APPS if app != "learning_credentials.exams"]
    try:
        with override_settings(INSTALLED_APPS=without):
            assert not _mounted(importlib.reload(urls))
    finally:
        importlib.reload(urls)
    assert _mounted(urls)

"""The Get certificate page leads an entitled learner to the exam, and never lets a learner pay twice (issue 23).

Entitled and done with the course: *Take the final exam*, or until when the daily start limit holds.
Back from the checkout with a payment that bought nothing yet: only *Complete purchase*; the points
service and the sandbox's checkout refuse a second way to buy while that payment waits.
"""

import pytest
from sandbox.lms.models import Order

from learning_credentials.exams.exceptions import PaymentPending
from learning_credentials.exams.models import Attempt, Entitlement, PointsAccount
from learning_credentials.exams.payments import entitlement_purchase
from learning_credentials.exams.selectors import payment_pending
from learning_credentials.exams.services import entitlement_redeem_points

from .conftest import COURSE, grant, start
from .test_pages import PAGE, main, pay, points, snapshot, text

EXAM = f"/learning_credentials/certification/{COURSE}/exam/"
TAKE = f'<a class="button" href="{EXAM}">Take the final exam</a>'
PENDING = "Until this purchase is complete, you cannot pay again or redeem points for this course."


@pytest.fixture
def client(client, learner):
    client.force_login(learner)
    return client


@pytest.mark.django_db
class TestTheWayToTheExam:
    def test_entitled_and_completed_is_led_to_the_exam(self, client, ready):
        response = client.get(PAGE)
        assert TAKE in response.content.decode()
        assert client.get(EXAM).status_code == 200  # where it leads: the exam's page, which starts it

    def test_after_buying_the_page_offers_the_exam(self, client, for_sale_exam, learner):
        order = pay(learner)
        response = client.post(PAGE, {"action": "purchase", "payment_reference": order.reference}, follow=True)
        assert "Your payment is confirmed" in text(response) and TAKE in response.content.decode()

    def test_not_completed_is_told_when_and_not_led(self, client, for_sale, learner):
        grant(learner)
        response = client.get(PAGE)
        assert "You can take the final exam once you have completed the course." in text(response)
        assert "Take the final exam" not in text(response)

    def test_a_failed_exam_leads_to_the_exam_again(self, client, sit):
        sit(40)
        sit(20)  # revoked
        words = text(client.get(PAGE))
        assert "Pass the final exam again to be certified. Take the final exam" in words

    def test_certified_is_led_to_the_certificate_not_a_retake(self, client, sit):
        sit(45)
        response = client.get(PAGE)
        assert "View certificate" in text(response) and "Take the final exam" not in text(response)

    def test_the_daily_start_limit_says_until_when(self, client, ready, learner, settings):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "EXAMS": {"MAX_STARTS_PER_DAY": 1}}
        start(learner)
        for url in (PAGE, EXAM):
            response = client.get(url)
            words = text(response)
            assert "You have started the final exam 1 time in the last 24 hours. You can take it again from " in words
            assert "Take the final exam" not in words and "<button" not in main(response).split("</main>")[0]

    def test_an_unfinished_attempt_is_explained_and_the_exam_is_still_offered(self, client, ready, learner):
        start(learner)
        response = client.get(PAGE)
        assert "Your exam in progress cannot be resumed" in text(response)
        assert TAKE in response.content.decode()
        assert Attempt.objects.get().status == Attempt.Status.IN_PROGRESS  # reading discards nothing


@pytest.mark.django_db
class TestOnePaymentAtATime:
    def test_back_from_the_checkout_only_completing_is_offered(self, client, for_sale_exam, learner):
        points(learner, 100)
        order = pay(learner)
        response = client.get(f"{PAGE}?payment_reference={order.reference}")
        words = text(response)
        assert "Complete purchase" in words and PENDING in words
        assert "Pay 49.00 USD" not in words and "Redeem 60 points" not in words
        assert 'value="redeem"' not in response.content.decode()

    def test_a_payment_the_host_knows_is_offered_without_the_return_address(self, client, for_sale_exam, learner):
        pay(learner, "SBX-7")
        response = client.get(PAGE)
        words = text(response)
        assert "You paid at the checkout (reference SBX-7)." in words and PENDING in words
        assert "Pay 49.00 USD" not in words
        completed = client.post(PAGE, {"action": "purchase", "payment_reference": "SBX-7"}, follow=True)
        assert "Your payment is confirmed" in text(completed) and PENDING not in text(completed)

    def test_redeeming_points_while_a_payment_waits_is_refused_and_spends_nothing(self, client, for_sale_exam, learner):
        points(learner, 100)
        pay(learner)
        before = snapshot(learner)
        response = client.post(PAGE, {"action": "redeem"}, follow=True)
        assert (
            "You have paid for certification in this course: complete that purchase instead of redeeming points."
            in text(response)
        )
        assert snapshot(learner) == before
        with pytest.raises(PaymentPending):
            entitlement_redeem_points(user_id=learner.pk, context_key=COURSE, activity_source="learner")

    def test_redeeming_again_when_entitled_spends_nothing(self, client, for_sale_exam, learner):
        points(learner, 100)
        client.post(PAGE, {"action": "redeem"})
        response = client.post(PAGE, {"action": "redeem"}, follow=True)
        assert "You were already entitled to the final exam; no points were spent." in text(response)
        assert PointsAccount.objects.get(user=learner).balance == 40 and Entitlement.objects.count() == 1

    def test_a_second_payment_when_entitled_buys_nothing_and_says_so(self, client, for_sale_exam, learner):
        points(learner, 100)
        client.post(PAGE, {"action": "redeem"})
        pay(learner, "SBX-2")  # paid elsewhere meanwhile
        response = client.post(PAGE, {"action": "purchase", "payment_reference": "SBX-2"}, follow=True)
        assert "You were already entitled to the final exam; this payment bought nothing." in text(response)
        assert list(Entitlement.objects.values_list("source", flat=True)) == ["points"]

    def test_a_payment_that_bought_its_entitlement_or_another_course_s_is_not_pending(self, for_sale_exam, learner):
        pay(learner, "SBX-1")
        assert payment_pending(user_id=learner.pk, context_key=COURSE) == "SBX-1"
        other = "course-v1:DemoX+ALG+2026"
        Order.objects.create(reference="SBX-9", user=learner, context_key=other, amount=1, currency="USD")  # unpaid
        assert payment_pending(user_id=learner.pk, context_key=other) is None
        entitlement_purchase(user_id=learner.pk, context_key=COURSE, payment_reference="SBX-1", activity_source="x")
        assert payment_pending(user_id=learner.pk, context_key=COURSE) is None

    def test_the_sandbox_checkout_refuses_a_second_payment(self, client, for_sale_exam, learner):
        pay(learner)
        back = f"http://testserver{PAGE}"
        response = client.post(f"/checkout/{COURSE}/", {"next": back}, follow=True)
        assert Order.objects.count() == 1  # no second order
        assert response.redirect_chain[0][0] == f"{back}?payment_reference=SBX-1"
        assert "You have paid already (order SBX-1): complete that purchase." in text(response)
        assert not Entitlement.objects.exists()

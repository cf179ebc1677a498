"""In Chromium: the final exam page and its result (issue 18 points 4 and 5), seed 004 §9.2's paths through them.

Entitled -> start -> pass -> result -> certificate with the score; entitled -> fail -> the wrong questions;
certified -> retake warning -> a score at or below the pass mark -> "Certification revoked"; a child course's
10 questions at 360 px; leaving (navigating away, reloading, closing) discards and cannot be resumed; the
back button's restore; submitting with unanswered questions; two tabs. axe-core checks every state.

The page never says which option is right, so the test reads the attempt's snapshot from the database.
"""

import re
import time

import pytest
from django.core import mail
from opaque_keys.edx.keys import CourseKey
from playwright.sync_api import expect

from learning_credentials.exams.models import Attempt
from learning_credentials.models import Credential
from tests import factories
from tests.browser.test_certification_pages import (
    COURSES,
    PHONE,
    assert_accessible,
    assert_no_sideways_scroll,
    course_item,
    for_sale,
    open_signed_in,
)
from tests.exams.conftest import COURSE, certificate_by_exam, certification_offer, grant, make_pool, start, take

pytestmark = pytest.mark.browser

EXAM = f"/learning_credentials/certification/{COURSE}/exam/"
__all__ = ["for_sale"]  # the fixture, shared with the course pages' tests
LEFT = "Your previous attempt was discarded because you left the exam."
CORRECT = re.compile(r"^\W*Correct")
INCORRECT = re.compile(r"^\W*Incorrect")


@pytest.fixture
def entitled(configuration, learner_with_password):
    """Ada completed the demo course (150 questions in its pool) and is entitled to its final exam."""
    certificate_by_exam(configuration)
    factories.set_completion(learner_with_password, factories.make_course(), 1.0)
    make_pool(COURSE, 150)
    certification_offer(COURSE, configuration)
    grant(learner_with_password)
    return learner_with_password


def in_progress(orm) -> Attempt:
    return orm(lambda: Attempt.objects.get(status=Attempt.Status.IN_PROGRESS))


def right_ids(attempt: Attempt) -> set[str]:
    return {option["id"] for question in attempt.questions for option in question["options"] if option["correct"]}


def begin(page) -> None:
    """From the exam's front page: "Start final exam" (a POST), then the sitting's first question."""
    page.get_by_role("button", name=re.compile("^(Start final exam|Start again)$")).click()
    expect(page.locator("#exam-progress")).to_have_text(re.compile(r"^Question 1 of \d+$"))


def answer(page, right: set[str], *, correct: bool) -> None:
    """Choose the right options (or one wrong one) of the question shown and check the answer."""
    values = page.locator("#exam-options input").evaluate_all("(inputs) => inputs.map((input) => input.value)")
    chosen = [value for value in values if (value in right) == correct][: None if correct else 1]
    for value in chosen:
        page.locator(f'#exam-options input[value="{value}"]').check()
    page.get_by_role("button", name="Check answer").click()
    expect(page.locator("#exam-feedback")).to_have_text(CORRECT if correct else INCORRECT)


def answer_all(page, right: set[str], *, correct: int, size: int) -> None:
    """Answer every question, the first ``correct`` rightly, moving on with "Next question"."""
    for number in range(1, size + 1):
        expect(page.locator("#exam-progress")).to_have_text(f"Question {number} of {size}")
        answer(page, right, correct=number <= correct)
        if number < size:
            page.get_by_role("button", name="Next question").click()


def status_of(orm, attempt: Attempt, *, wait: float = 5.0) -> tuple[str, str]:
    """The attempt's (status, discard reason) once it is no longer in progress (a beacon takes a moment)."""
    deadline = time.monotonic() + wait
    while True:
        row = orm(lambda: Attempt.objects.values_list("status", "discard_reason").get(pk=attempt.pk))
        if row[0] != Attempt.Status.IN_PROGRESS or time.monotonic() > deadline:
            return row
        time.sleep(0.1)


def assert_cannot_resume(page) -> None:
    """The exam page offers a new start and shows no question of any earlier attempt."""
    page.goto(EXAM)
    expect(page.get_by_role("button", name="Start again")).to_be_visible()
    expect(page.locator("#exam-progress")).to_have_count(0)


def test_entitled_learner_passes_and_sees_the_score_on_the_certificate(browser, orm, entitled):
    page = open_signed_in(browser, COURSES)
    item = course_item(page, "Introduction to Computing")
    item.get_by_role("link", name=re.compile("^Start final exam")).click()
    page.wait_for_url(f"**{EXAM}")
    expect(page.locator("main")).to_contain_text("50 questions, one at a time")
    assert orm(lambda: Attempt.objects.count()) == 0  # reading the page started nothing
    browser.screenshot(page, "exam-start")
    assert_accessible(page)

    begin(page)
    attempt = in_progress(orm)
    right = right_ids(attempt)
    expect(page).to_have_url(re.compile(rf"{re.escape(EXAM)}$"))  # the showing's link is gone from the address bar
    expect(page.locator("#exam-progress")).to_be_focused()
    browser.screenshot(page, "exam-question")
    assert_accessible(page)

    # The first answer with the keyboard only: Tab into the group, Space chooses, Enter checks.
    wanted = next(
        v for v in page.locator("#exam-options input").evaluate_all("(i) => i.map((e) => e.value)") if v in right
    )
    page.keyboard.press("Tab")
    for _press in range(6):
        if page.evaluate("document.activeElement.value") == wanted:
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    expect(page.locator("#exam-feedback")).to_have_text(CORRECT)
    expect(page.get_by_role("button", name="Next question")).to_be_focused()
    browser.screenshot(page, "exam-feedback-correct")
    assert_accessible(page)
    page.keyboard.press("Enter")

    for number in range(2, 51):
        expect(page.locator("#exam-progress")).to_have_text(f"Question {number} of 50")
        answer(page, right, correct=True)
        if number < 50:
            page.get_by_role("button", name="Next question").click()
    expect(page.locator("#exam-feedback")).to_contain_text("You answered every question.")
    page.get_by_role("button", name="Submit exam").click()
    page.wait_for_url(f"**{EXAM}{attempt.pk}/")
    expect(page.locator("#score")).to_have_text("Your score: 100% (50 of 50 questions right).")
    expect(page.locator("#verdict")).to_contain_text("You passed: your score is above 50%.")
    browser.screenshot(page, "exam-result-pass")
    assert_accessible(page)
    assert status_of(orm, attempt) == ("graded", "")  # leaving for the result discarded nothing

    page.get_by_role("link", name="View certificate").click()
    page.wait_for_url(re.compile(r"/learning_credentials/credentials/[^/]+/$"))
    expect(page.locator("main")).to_contain_text("100%")
    browser.screenshot(page, "exam-certificate")


def test_entitled_learner_fails_and_reads_the_wrong_questions(browser, orm, entitled):
    page = open_signed_in(browser, EXAM)
    begin(page)
    attempt = in_progress(orm)
    right = right_ids(attempt)
    answer(page, right, correct=False)
    browser.screenshot(page, "exam-feedback-incorrect")
    assert_accessible(page)
    expect(page.locator("main")).not_to_contain_text("Correct answer")
    page.get_by_role("button", name="Next question").click()
    for number in range(2, 51):
        answer(page, right, correct=number <= 21)  # 20 right of 50: 40%
        if number < 50:
            page.get_by_role("button", name="Next question").click()
    page.get_by_role("button", name="Submit exam").click()
    page.wait_for_url(f"**{EXAM}{attempt.pk}/")
    expect(page.locator("#score")).to_have_text("Your score: 40% (20 of 50 questions right).")
    expect(page.locator("#verdict")).to_contain_text("You did not pass")
    wrong = [attempt.questions[0]["text"], *(question["text"] for question in attempt.questions[21:])]
    expect(page.locator(".wrong-questions li")).to_have_text(wrong)
    expect(page.get_by_role("link", name="View certificate")).to_have_count(0)
    expect(page.get_by_role("button", name="Start final exam")).to_be_visible()
    browser.screenshot(page, "exam-result-fail")
    assert_accessible(page)
    assert orm(lambda: Credential.objects.filter(active=True).count()) == 0


def test_a_certified_learner_is_warned_and_a_low_retake_revokes(browser, orm, entitled):
    mail.outbox.clear()
    take(entitled, start(entitled), 45)  # certified with 90%
    page = open_signed_in(browser, EXAM)
    warning = page.locator("#retake-warning")
    expect(warning).to_contain_text("a score of 50% or below revokes your certificate")
    expect(page.get_by_role("button", name="Start final exam")).to_have_accessible_description(
        re.compile("a score of 50% or below revokes your certificate")
    )
    browser.screenshot(page, "exam-retake-warning")
    assert_accessible(page)

    begin(page)
    attempt = in_progress(orm)
    right = right_ids(attempt)
    for number in (1, 2, 3):
        answer(page, right, correct=number != 3)
        page.get_by_role("button", name="Next question").click()
    page.get_by_role("button", name="Submit exam").click()
    dialog = page.get_by_role("dialog", name="Submit the exam now?")
    expect(dialog).to_contain_text("47 questions are not answered; they will count as wrong.")
    expect(dialog.get_by_role("button", name="Keep answering")).to_be_focused()
    browser.screenshot(page, "exam-confirm-submit")
    assert_accessible(page)
    dialog.get_by_role("button", name="Keep answering").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#exam-progress")).to_have_text("Question 4 of 50")  # still answering
    page.get_by_role("button", name="Submit exam").click()
    dialog.get_by_role("button", name="Submit now").click()
    page.wait_for_url(f"**{EXAM}{attempt.pk}/")
    expect(page.locator("#score")).to_have_text("Your score: 4% (2 of 50 questions right).")
    expect(page.locator("#revoked")).to_have_text(
        "Your certificate is revoked. Pass the final exam again to be certified again."
    )

    page.get_by_role("link", name="Back to My courses").click()
    item = course_item(page, "Introduction to Computing")
    expect(item.locator(".chip")).to_contain_text("Certification revoked")
    expect(item.locator(".helper")).to_have_text("Most recent score: 4%.")
    [email] = [message for message in mail.outbox if "revoked" in message.subject]
    assert "Your most recent final exam score in Introduction to Computing is 4%." in email.body


def test_a_child_course_asks_ten_questions_and_fits_a_phone(browser, orm, entitled, configuration):
    child = CourseKey.from_string("course-v1:DemoX+CS101-ESSENTIALS+2026")
    factories.set_completion(entitled, factories.make_course(str(child), "Computing Essentials"), 1.0)
    factories.enroll(entitled, str(child))
    child_configuration = factories.ConfigurationFactory(
        learning_context_key=child, credential_type=configuration.credential_type
    )
    certification_offer(child, child_configuration, pool_context_key=COURSE, exam_size=10)
    grant(entitled, child)
    page = open_signed_in(browser, f"/learning_credentials/certification/{child}/exam/", viewport=PHONE)
    expect(page.locator("main")).to_contain_text("10 questions, one at a time")
    begin(page)
    expect(page.locator("#exam-progress")).to_have_text("Question 1 of 10")
    assert_no_sideways_scroll(page)
    browser.screenshot(page, "exam-question-360")
    assert_accessible(page)
    answer(page, right_ids(in_progress(orm)), correct=True)
    assert_no_sideways_scroll(page)
    browser.screenshot(page, "exam-feedback-360")


@pytest.mark.parametrize("leave", ["navigate", "reload", "close"])
def test_leaving_mid_exam_discards_and_cannot_be_resumed(browser, orm, entitled, leave):
    page = open_signed_in(browser, EXAM)
    begin(page)
    attempt = in_progress(orm)
    answer(page, right_ids(attempt), correct=True)
    if leave == "navigate":
        page.goto(COURSES)
    elif leave == "reload":
        page.reload()
        expect(page.locator("#exam-progress")).to_have_count(0)  # the reload shows no question
    else:
        context = page.context
        page.close()
        page = context.new_page()
    assert status_of(orm, attempt) == ("discarded", "left")
    assert_cannot_resume(page)
    expect(page.locator("#previous-attempt")).to_have_text(LEFT)
    if leave == "navigate":
        browser.screenshot(page, "exam-discarded")
        assert_accessible(page)
    begin(page)  # "Start again" starts a new attempt
    assert orm(lambda: Attempt.objects.filter(status=Attempt.Status.IN_PROGRESS).exclude(pk=attempt.pk).count()) == 1


def test_back_to_the_exam_from_the_back_forward_cache_shows_it_discarded(browser, orm, entitled):
    browser.back_forward_cache = True
    page = open_signed_in(browser, EXAM)
    begin(page)
    attempt = in_progress(orm)
    answer(page, right_ids(attempt), correct=True)
    page.evaluate("window.stillTheSamePage = true")
    page.goto(COURSES)
    assert status_of(orm, attempt) == ("discarded", "left")
    page.go_back(wait_until="commit")  # a restored page fires pageshow, not load
    restored = page.evaluate("window.stillTheSamePage === true")
    if restored:  # the frozen page came back: it asked the server and says the attempt is over
        expect(page.locator("#exam-closed-text")).to_have_text(LEFT)
        expect(page.locator("#exam")).to_be_hidden()
        expect(page.get_by_role("button", name="Start again")).to_be_visible()
        browser.screenshot(page, "exam-back-forward-restored")
        assert_accessible(page)
    else:  # Chromium loaded the page anew: the exam page says so, and shows no question
        expect(page.locator("#previous-attempt")).to_have_text(LEFT)
        expect(page.locator("#exam-progress")).to_have_count(0)
    assert restored, "Chromium did not restore the exam page from its back/forward cache"
    assert status_of(orm, attempt) == ("discarded", "left")


def test_two_tabs_the_first_says_the_exam_was_started_elsewhere(browser, orm, entitled):
    first = open_signed_in(browser, EXAM)
    begin(first)
    attempt = in_progress(orm)
    right = right_ids(attempt)

    # Switching to another tab for a moment does not discard.
    other = first.context.new_page()
    other.goto(COURSES)
    other.bring_to_front()
    first.bring_to_front()
    answer(first, right, correct=True)
    assert status_of(orm, attempt, wait=0) == ("in_progress", "")
    first.get_by_role("button", name="Next question").click()

    # A second tab of the exam cannot resume it; starting there discards the first tab's attempt.
    other.goto(EXAM)
    expect(other.locator("#previous-attempt")).to_contain_text("Your exam in progress cannot be resumed")
    begin(other)
    second = in_progress(orm)
    assert second.pk != attempt.pk
    assert status_of(orm, attempt) == ("discarded", "superseded")

    first.bring_to_front()
    answer_choice = first.locator("#exam-options input").first
    answer_choice.check()
    first.get_by_role("button", name="Check answer").click()
    expect(first.locator("#exam-closed-text")).to_have_text(
        "This exam was started again in another tab or window, so this attempt was discarded. "
        "Only the most recent start counts."
    )
    expect(first.locator("#exam-closed-heading")).to_be_focused()
    browser.screenshot(first, "exam-two-tabs")
    assert_accessible(first)
    first.close()  # its attempt is over: closing it does not touch the second tab's
    time.sleep(0.5)
    assert status_of(orm, second, wait=0) == ("in_progress", "")
    expect(other.locator("#exam-progress")).to_have_text("Question 1 of 50")


def test_seed_9_2_completed_buys_at_the_checkout_starts_passes_and_holds_the_certificate(browser, orm, for_sale):
    """The whole first path of seed 004 §9.2 in one go: no entitlement -> Get certificate -> the host's checkout ->
    Start final exam -> a pass -> the certificate with its score."""
    page = open_signed_in(browser, f"/learning_credentials/certification/{COURSE}/")
    page.get_by_role("link", name="Pay 49.00 USD").click()
    page.get_by_role("button", name="Pay 49.00 USD").click()
    page.get_by_role("button", name="Complete purchase").click()
    expect(page.get_by_role("status")).to_contain_text("you are entitled to the final exam")

    page.get_by_role("link", name="My courses").first.click()
    course_item(page, "Introduction to Computing").get_by_role("link", name=re.compile("^Start final exam")).click()
    page.wait_for_url(f"**{EXAM}")
    begin(page)
    attempt = in_progress(orm)
    answer_all(page, right_ids(attempt), correct=45, size=50)
    page.get_by_role("button", name="Submit exam").click()
    page.wait_for_url(f"**{EXAM}{attempt.pk}/")
    expect(page.locator("#score")).to_have_text("Your score: 90% (45 of 50 questions right).")

    page.get_by_role("link", name="View certificate").click()
    page.wait_for_url(re.compile(r"/learning_credentials/credentials/[^/]+/$"))
    expect(page.locator("main")).to_contain_text("90%")
    browser.screenshot(page, "seed-9-2-certificate")
    (status, score) = orm(lambda: Credential.objects.values_list("status", "score").get())
    assert (status, score) == ("available", 90)

"""Verification counts: every public channel counted once per request, nothing about the verifier stored, the
holder's and staff's views left out, the holder's switch, and the flush from the cache to the database (in bulk,
idempotent, racing increments and other flushes), shown to the learner, staff and course staff."""

import io
import threading
import time
import uuid
from datetime import UTC, date, datetime

import pytest
from django.core.cache import caches
from django.core.checks import run_checks
from django.db import connection
from django.db.models import Sum
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats
from django.utils.functional import SimpleLazyObject
from django_celery_beat.models import PeriodicTask
from rest_framework.test import APIClient
from sandbox.lms import models as lms

from learning_credentials.models import (
    Credential,
    CredentialEvent,
    VerificationChannel,
    VerificationCount,
    VerificationCountFlush,
)
from learning_credentials.selectors import (
    verification_counts_for_configuration,
    verification_counts_for_credential,
)
from learning_credentials.services import credential_set_visibility
from learning_credentials.services import verification_counts as counting
from learning_credentials.services.dispatch import FLUSH_VERIFICATION_COUNTS
from learning_credentials.services.issuance import credential_issue
from learning_credentials.services.retirement import learner_retire
from learning_credentials.services.verification_counts import (
    GRACE_SECONDS,
    credential_set_verification_counting,
    verification_count,
    verification_counts_flush,
    verification_increment,
)
from tests import factories
from tests.open_badges.test_issuers_and_keys import kek  # noqa: F401 - the fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kek")]
REDIS_URL = "redis://127.0.0.1:6379/3"
LENGTH = 60


def use_counts_cache(settings, kind: str, **conf) -> None:
    """The counters in a cache of this test's own: a process-local one, or a real Redis."""
    prefix = f"lc-test-{uuid.uuid4().hex}"
    backend = (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}
        if kind == "redis"
        # Culling (MAX_ENTRIES, 300 by default) would drop counters, as an evicting Redis would.
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": prefix,
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    )
    settings.CACHES = {**settings.CACHES, "verification_counts": backend}
    settings.LEARNING_CREDENTIALS = {
        **settings.LEARNING_CREDENTIALS,
        "VERIFICATION_COUNTS_CACHE": "verification_counts",
        "VERIFICATION_COUNTS_FLUSH_SECONDS": LENGTH,
        "RATE_LIMITS_ENABLED": False,  # many lookups from one address, in one minute
        **conf,
    }


class Clock:
    """The counters' clock, at the start of a bucket; a flush moves it past that bucket's grace."""

    def __init__(self):
        self.now = float((int(time.time()) // LENGTH) * LENGTH + 1)

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["locmem", "redis"])
def counts_cache(request, settings, monkeypatch):
    use_counts_cache(settings, request.param)
    monkeypatch.setattr(counting, "clock", Clock())
    return request.param


@pytest.fixture
def credential(configuration, learner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        credential = credential_issue(user_id=learner.pk, configuration=configuration, source="schedule")
    credential.refresh_from_db()
    assert credential.status == "available", credential.error_message
    return credential


def flush_all(now: float | None = None) -> dict:
    """Flush once every bucket until ``now`` (the counters' clock) has closed; the clock moves on to that time."""
    later = (now or counting.clock()) + LENGTH + GRACE_SECONDS + 1
    if isinstance(counting.clock, Clock):
        counting.clock.now = later
    return verification_counts_flush(now=later)


def stored(credential) -> dict[str, int]:
    rows = VerificationCount.objects.filter(credential=credential).values_list("channel").annotate(n=Sum("count"))
    return dict(rows)


def code_of(credential) -> str:
    return credential.verification_code


def channel_requests(credential) -> list[tuple[str, str | None]]:
    """Every public surface of a credential, and the channel one GET of it counts (None: not counted)."""
    v, code = credential.verify_uuid, code_of(credential)
    return [
        (f"/learning_credentials/verify/{v}/", "page"),
        (f"/api/learning_credentials/v1/metadata/{v}/", "api"),
        (f"/learning_credentials/verify/{v}/?via=code", "code"),  # where a code lookup leads
        (f"/api/learning_credentials/v1/verify/{code}/", "code"),
        (f"/learning_credentials/verify/{v}/?via=qr", "qr"),  # where the QR code's short link leads
        (f"/learning_credentials/verify/{v}/credential.pdf", "pdf"),
        (f"/learning_credentials/verify/{v}/ob3.json", "open_badges"),
        (f"/learning_credentials/verify/{v}/ob3.jwt", "open_badges"),
        (f"/learning_credentials/verify/{v}/?via=anything", "page"),  # an unknown channel is the page's
        # Not verifications: the page's own image (and link previews'), and the redirects to the page (counted
        # where they lead, so that one followed counts once and one not followed counts nothing).
        (f"/learning_credentials/verify/{v}/image.png", None),
        (f"/learning_credentials/verify/code/{code}/", None),
        (f"/learning_credentials/verify/?code={code}", None),
        (f"/learning_credentials/v/{code}", None),
    ]


def test_every_channel_counts_once_per_request(client, credential, counts_cache):
    outcome_clock = counting.clock()
    expected: dict[str, int] = {}
    for url, channel in channel_requests(credential):
        response = client.get(url)
        assert response.status_code in (200, 302), url
        if channel is not None:
            expected[channel] = expected.get(channel, 0) + 1
    assert client.head(f"/learning_credentials/verify/{credential.verify_uuid}/").status_code == 200  # a link checker
    assert stored(credential) == {}  # nothing in the database before the flush
    outcome = flush_all()
    assert stored(credential) == expected
    assert outcome["verifications"] == sum(expected.values()) == 9
    day = VerificationCount.objects.get(credential=credential, channel="page").day
    assert day == datetime.fromtimestamp(outcome_clock, tz=UTC).date()


def test_code_lookups_and_the_qr_link_count_once_where_they_lead(client, credential, counts_cache):
    for url, channel in (
        (f"/learning_credentials/verify/code/{code_of(credential)}/", "code"),
        (f"/learning_credentials/v/{code_of(credential)}", "qr"),
    ):
        response = client.get(url, follow=True)
        assert response.status_code == 200
        assert response.redirect_chain[-1][0] == f"/learning_credentials/verify/{credential.verify_uuid}/?via={channel}"
    flush_all()
    assert stored(credential) == {"code": 1, "qr": 1}


def test_a_genuine_file_checked_counts_and_a_file_we_did_not_issue_does_not(client, credential, counts_cache):
    from django.core.files.storage import storages

    from learning_credentials import conf

    with storages[conf.get("STORAGE")].open(credential.artifact) as file:
        pdf = file.read()
    for data in (pdf, b"%PDF-1.7 not ours"):
        upload = io.BytesIO(data)
        upload.name = "credential.pdf"
        assert client.post("/learning_credentials/check-file/", {"file": upload}).status_code in (200, 400)
    flush_all()
    assert stored(credential) == {"file_check": 1}


@pytest.mark.parametrize("viewer", ["holder", "staff", "stranger", "anonymous"])
def test_the_holder_s_and_staff_s_own_views_are_not_counted(
    client, credential, learner, staff_user, viewer, counts_cache
):
    use = {"holder": learner, "staff": staff_user, "stranger": factories.UserFactory(username="employer")}
    if viewer in use:
        client.force_login(use[viewer])
    api = APIClient()
    if viewer in use:
        api.force_authenticate(use[viewer])
    client.get(f"/learning_credentials/verify/{credential.verify_uuid}/")
    api.get(f"/api/learning_credentials/v1/metadata/{credential.verify_uuid}/")
    flush_all()
    assert stored(credential) == ({} if viewer in ("holder", "staff") else {"page": 1, "api": 1})


def test_a_viewer_nobody_loaded_is_not_looked_up_and_the_view_is_counted(credential, learner, counts_cache):
    request = RequestFactory().get("/")

    def load():
        raise AssertionError("counting loaded the user")

    request.user = SimpleLazyObject(load)
    assert verification_count(request=request, credential=credential, channel="page") is True
    request.user = SimpleLazyObject(lambda: learner)
    str(request.user)  # loaded, as public_route loads it: the holder is recognised
    assert verification_count(request=request, credential=credential, channel="page") is False


def test_counting_adds_no_query_to_an_anonymous_verification(client, credential, settings, counts_cache):
    urls = [url for url, channel in channel_requests(credential) if channel in ("page", "api", "code", "pdf")]
    queries = {}
    for enabled in (False, True):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "VERIFICATION_COUNTS_ENABLED": enabled}
        for url in urls:
            client.get(url)  # warm: per-process caches (sites, issuers) filled alike
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            queries[(enabled, url)] = len(captured)
    assert all(queries[(True, url)] == queries[(False, url)] for url in urls), queries
    flush_all()
    assert sum(stored(credential).values()) == 2 * len(urls)  # counted while on: the warm-up and the measured


def test_the_holder_switches_counting_off_and_on(client, credential, learner, counts_cache):
    page = f"/learning_credentials/verify/{credential.verify_uuid}/"
    client.get(page)
    flush_all()
    client.force_login(learner)
    detail = reverse("learning_credentials:learner-credential", kwargs={"uuid": credential.uuid})
    counting = reverse("learning_credentials:learner-counting", kwargs={"uuid": credential.uuid})
    assert client.post(counting, {"counted": "off"}).status_code == 302
    credential.refresh_from_db()
    assert credential.verifications_counted is False
    body = client.get(detail).content.decode()
    assert "Counting is off" in body and "Verified 1 time, last on" in body  # the counts made so far stay
    client.logout()
    client.get(page)
    client.get(f"/api/learning_credentials/v1/metadata/{credential.verify_uuid}/")
    flush_all()
    assert stored(credential) == {"page": 1}
    client.force_login(learner)
    client.post(counting, {"counted": "on"})
    assert client.post(counting, {"counted": "maybe"}).status_code == 302  # refused with a message, nothing changed
    events = credential.events.filter(kind=CredentialEvent.Kind.COUNTING_CHANGED).order_by("created", "id")
    assert [(e.details, e.actor_id, e.source) for e in events] == [
        ({"from": True, "to": False}, learner.pk, "learner"),
        ({"from": False, "to": True}, learner.pk, "learner"),
    ]
    client.logout()
    client.get(page)
    flush_all()
    assert stored(credential) == {"page": 2}


def test_a_reissue_keeps_the_holder_s_choice(credential, learner, django_capture_on_commit_callbacks):
    from learning_credentials.services import credential_reissue

    credential_set_verification_counting(credential=credential, counted=False, source="learner", actor_id=learner.pk)
    credential.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        new = credential_reissue(credential=credential, source="learner", reason="name_change")
    assert new.verifications_counted is False


def test_switching_to_the_same_state_records_nothing(credential, learner):
    credential_set_verification_counting(credential=credential, counted=True, source="learner", actor_id=learner.pk)
    assert not credential.events.filter(kind=CredentialEvent.Kind.COUNTING_CHANGED).exists()


def test_only_the_holder_may_switch(client, credential, staff_user):
    client.force_login(factories.UserFactory(username="other"))
    counting = reverse("learning_credentials:learner-counting", kwargs={"uuid": credential.uuid})
    assert client.post(counting, {"counted": "off"}).status_code == 404
    client.force_login(staff_user)  # staff see the credential, but the switch is the holder's
    assert client.post(counting, {"counted": "off"}).status_code == 404
    credential.refresh_from_db()
    assert credential.verifications_counted is True


def test_the_learner_page_says_how_often_and_when_last(client, credential, learner, counts_cache):
    client.force_login(learner)
    detail = reverse("learning_credentials:learner-credential", kwargs={"uuid": credential.uuid})
    assert "Not verified yet." in client.get(detail).content.decode()
    now = counting.clock()
    for at in (now - 3 * LENGTH, now - 3 * LENGTH, now):
        verification_increment(credential_id=credential.pk, channel="page", at=at)
    flush_all()
    today = datetime.fromtimestamp(now, tz=UTC).date()
    assert (
        f"Verified 3 times, last on {formats.date_format(today, 'DATE_FORMAT')}." in client.get(detail).content.decode()
    )


def test_days_are_utc_days_of_the_bucket(credential, counts_cache):
    midnight = datetime(2026, 12, 7, tzinfo=UTC).timestamp()
    for at in (midnight - 5, midnight - 1, midnight, midnight + 59):
        verification_increment(credential_id=credential.pk, channel="api", at=at)
    flush_all(now=midnight + 60)
    rows = VerificationCount.objects.filter(credential=credential).values_list("day", "count").order_by("day")
    assert list(rows) == [(date(2026, 12, 6), 2), (date(2026, 12, 7), 2)]


def test_an_open_bucket_waits_and_a_flush_never_adds_a_bucket_twice(credential, counts_cache, monkeypatch):
    now = counting.clock()  # a bucket's first second
    verification_increment(credential_id=credential.pk, channel="page")
    assert verification_counts_flush(now=now + LENGTH - 2)["buckets"] == 0  # still open: untouched
    assert verification_counts_flush(now=now + LENGTH + GRACE_SECONDS - 2)["buckets"] == 0  # closed, within the grace
    cache = caches["verification_counts"]
    # A flush that dies after its commit, before it deletes the bucket's keys: the next one adds nothing.
    monkeypatch.setattr(type(cache), "delete_many", lambda self, keys, version=None: None)
    assert flush_all()["verifications"] == 1
    monkeypatch.undo()
    assert flush_all()["verifications"] == 0
    assert stored(credential) == {"page": 1}
    assert VerificationCountFlush.objects.count() == 1


def test_a_flush_takes_a_fixed_number_of_queries(configuration, counts_cache, django_assert_num_queries):
    def counted(credentials: int, buckets: int) -> int:
        many = [factories.CredentialFactory(configuration=configuration) for _ in range(credentials)]
        start = counting.clock()
        for bucket in range(buckets):
            for credential in many:
                for channel in ("page", "api"):
                    verification_increment(credential_id=credential.pk, channel=channel, at=start + bucket * LENGTH)
        with CaptureQueriesContext(connection) as captured:
            assert flush_all(now=start + buckets * LENGTH)["verifications"] == credentials * buckets * 2
        return len(captured)

    assert counted(1, 1) == counted(30, 4)
    with django_assert_num_queries(0):  # nothing in the cache: not even the database is asked
        assert flush_all()["buckets"] == 0


def test_counts_add_up_with_the_database_and_across_flushes(credential, counts_cache):
    for _ in range(3):
        verification_increment(credential_id=credential.pk, channel="pdf")
    flush_all()
    VerificationCount.objects.filter(credential=credential).update(count=10)  # as if earlier flushes had added 10
    for _ in range(2):
        verification_increment(credential_id=credential.pk, channel="pdf")
    flush_all()
    assert stored(credential) == {"pdf": 12}


@pytest.mark.django_db(transaction=True)
def test_concurrent_increments_and_racing_flushes_lose_nothing_and_count_nothing_twice(settings):
    """Real Redis; threads increment while two flushers race each other. Time runs 20 times faster (on a clock
    the test hands in), so buckets close and get flushed while the increments go on."""
    use_counts_cache(settings, "redis", VERIFICATION_COUNTS_FLUSH_SECONDS=10)
    factories.make_course()
    factories.TemplateAssetFactory()
    configuration = factories.ConfigurationFactory()
    credentials = [factories.CredentialFactory(configuration=configuration) for _ in range(3)]
    origin, real_start = time.time(), time.monotonic()

    def clock() -> float:
        return origin + (time.monotonic() - real_start) * 20

    done = threading.Event()
    made: list[int] = []
    flushed: list[dict] = []
    errors: list[BaseException] = []

    def increment(index: int) -> None:
        count = 0
        try:
            while not done.is_set():
                credential = credentials[(index + count) % len(credentials)]
                verification_increment(credential_id=credential.pk, channel="page", at=clock())
                count += 1
        except BaseException as exc:
            errors.append(exc)
        made.append(count)

    def flush() -> None:
        try:
            while not done.is_set():
                flushed.append(verification_counts_flush(now=clock()))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=increment, args=(i,)) for i in range(4)]
    threads += [threading.Thread(target=flush) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(4)  # 80 seconds on the test's clock: eight buckets
    done.set()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sum(outcome["buckets"] for outcome in flushed) >= 3  # buckets were flushed while counting went on
    verification_counts_flush(now=clock() + 10 + GRACE_SECONDS + 1)
    total = VerificationCount.objects.aggregate(total=Sum("count"))["total"]
    assert total == sum(made) > 0
    assert VerificationCountFlush.objects.count() == len(set(VerificationCountFlush.objects.values_list("bucket")))


@pytest.mark.parametrize("kind", ["locmem", "redis"])
def test_concurrent_increments_of_one_key_are_atomic(settings, credential, kind):
    use_counts_cache(settings, kind)
    at = time.time()

    def hammer() -> None:
        for _ in range(200):
            verification_increment(credential_id=credential.pk, channel="qr", at=at)

    threads = [threading.Thread(target=hammer) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    flush_all()
    assert stored(credential) == {"qr": 1000}


def test_staff_totals_per_configuration_match_sql(admin_client, credential, configuration, counts_cache):
    other = factories.CredentialFactory(configuration=configuration)
    for target, times in ((credential, 3), (other, 2)):
        for _ in range(times):
            verification_increment(credential_id=target.pk, channel="page")
    verification_increment(credential_id=other.pk, channel="api")
    flush_all()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT SUM(vc.count) FROM {VerificationCount._meta.db_table} vc "
            f"JOIN {Credential._meta.db_table} c ON c.uuid = vc.credential_id WHERE c.configuration_id = %s",
            [configuration.pk],
        )
        (sql_total,) = cursor.fetchone()
    summary = verification_counts_for_configuration(configuration)
    assert summary.total == sql_total == 6
    assert summary.by_channel == {"page": 5, "api": 1}
    assert verification_counts_for_credential(credential).total == 3
    page = admin_client.get(
        reverse("admin:learning_credentials_credentialconfiguration_change", args=[configuration.pk])
    )
    html = page.content.decode()  # the configuration's dashboard
    assert "6 verifications, the last on" in html
    assert '<th scope="row">Verification page</th><td class="lc-number" data-figure="verified-1">5<' in html
    assert '<th scope="row">Metadata API</th><td class="lc-number" data-figure="verified-2">1<' in html


def test_course_staff_read_their_context_s_counts_through_the_api(credential, configuration, learner, counts_cache):
    for _ in range(4):
        verification_increment(credential_id=credential.pk, channel="api")
    today = datetime.fromtimestamp(counting.clock(), tz=UTC).date()
    flush_all()
    url = f"/api/learning_credentials/v1/verification-counts/{configuration.learning_context_key}/"
    api = APIClient()
    assert api.get(url).status_code == 401
    api.force_authenticate(learner)
    response = api.get(url)
    assert response.status_code == 403 and response.json()["code"] == "access_denied"
    teacher = factories.UserFactory(username="teacher")
    lms.CourseStaff.objects.create(user=teacher, context_key=factories.COURSE_KEY)
    api.force_authenticate(teacher)
    body = api.get(url).json()
    total = VerificationCount.objects.filter(credential__configuration=configuration).aggregate(t=Sum("count"))["t"]
    assert body["configurations"] == [
        {
            "type_key": configuration.credential_type.slug,
            "credential_type": configuration.credential_type.name,
            "enabled": True,
            "total": total,
            "last_day": today.isoformat(),
            "by_channel": {"api": 4},
        }
    ]
    assert api.get("/api/learning_credentials/v1/verification-counts/not-a-key/").status_code == 400


def test_retirement_keeps_the_counts(credential, learner, counts_cache):
    verification_increment(credential_id=credential.pk, channel="page")
    flush_all()
    learner_retire(user_id=learner.pk)
    assert stored(credential) == {"page": 1}


def test_a_private_credential_is_counted_only_as_its_holder_and_staff_see_it(client, credential, learner, counts_cache):
    credential_set_visibility(credential=credential, visibility="private", source="learner", actor_id=learner.pk)
    assert client.get(f"/learning_credentials/verify/{credential.verify_uuid}/").status_code == 404
    client.force_login(learner)
    assert client.get(f"/learning_credentials/verify/{credential.verify_uuid}/").status_code == 200
    flush_all()
    assert stored(credential) == {}


def test_a_cache_that_fails_serves_the_page_uncounted(client, credential, settings):
    settings.CACHES = {
        **settings.CACHES,
        "verification_counts": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nobody listens
        },
    }
    settings.LEARNING_CREDENTIALS = {
        **settings.LEARNING_CREDENTIALS,
        "VERIFICATION_COUNTS_CACHE": "verification_counts",
    }
    assert client.get(f"/learning_credentials/verify/{credential.verify_uuid}/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_credential_whose_row_has_gone_does_not_hold_back_the_others(settings):
    use_counts_cache(settings, "locmem")
    factories.make_course()
    factories.TemplateAssetFactory()
    credential = factories.CredentialFactory(configuration=factories.ConfigurationFactory())
    verification_increment(credential_id=credential.pk, channel="page")
    verification_increment(credential_id=uuid.uuid4(), channel="page")  # a credential deleted meanwhile
    assert flush_all()["verifications"] == 1
    assert stored(credential) == {"page": 1}


def test_unknown_channels_are_refused(credential):
    with pytest.raises(ValueError, match="Unknown verification channel"):
        verification_increment(credential_id=credential.pk, channel="telepathy")
    assert set(VerificationChannel.values) >= {"page", "api", "code", "qr", "pdf", "open_badges", "file_check"}


def test_system_checks_want_a_shared_cache_and_buckets_that_divide_a_day(settings):
    def ids() -> set[str]:
        return {m.id for m in run_checks(tags=["caches"]) if m.id.startswith("learning_credentials")}

    assert ids() == set()  # eager Celery (the suite): tasks run where the counting happens
    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert ids() == {"learning_credentials.W004"}  # the suite's locmem cache, with real workers
    use_counts_cache(settings, "redis")
    assert ids() == set()
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "VERIFICATION_COUNTS_FLUSH_SECONDS": 7}
    assert ids() == {"learning_credentials.E006"}
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "VERIFICATION_COUNTS_CACHE": "missing"}
    assert ids() == {"learning_credentials.E006", "learning_credentials.E007"}
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "VERIFICATION_COUNTS_ENABLED": False}
    assert ids() == set()


def test_beat_flushes_the_counts():
    entry = PeriodicTask.objects.get(task=FLUSH_VERIFICATION_COUNTS)
    assert entry.enabled and entry.interval.every == 300

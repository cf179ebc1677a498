"""A configuration's dashboard: figures against each credential's own public status, fixed queries, its page."""

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from learning_credentials.admin import dashboard_chart
from learning_credentials.dashboard import (
    DASHBOARD_WEEKS,
    EXPIRY_HORIZONS,
    NEXT_EXPIRIES,
    WeekCount,
    configuration_dashboard,
    week_start,
)
from learning_credentials.lifecycle import Status
from learning_credentials.models import (
    REPLACEMENT_REASONS,
    Credential,
    CredentialConfiguration,
    InvalidationReason,
    VerificationCount,
)
from learning_credentials.selectors import PUBLIC_STATUSES, credential_public_status
from tests import factories

pytestmark = pytest.mark.django_db
EXTRA_REASON = ("fraud", "Academic misconduct")


@pytest.fixture(autouse=True)
def _extra_reason(settings):
    settings.LEARNING_CREDENTIALS = {
        **settings.LEARNING_CREDENTIALS,
        "EXTRA_INVALIDATION_REASONS": dict([EXTRA_REASON]),
    }


@pytest.fixture
def expiring_configuration(configuration):
    CredentialConfiguration.objects.filter(pk=configuration.pk).update(validity_period=12)
    configuration.refresh_from_db()
    return configuration


def make(configuration, status=Status.AVAILABLE, *, created=None, reason=None, **fields) -> Credential:
    """A credential row in the state asked for; ``created`` backdates it (the field is set on insert)."""
    if status == Status.INVALIDATED:
        fields.update(active=None, invalidated_at=timezone.now(), invalidation_reason=reason or "")
    credential = factories.CredentialFactory(configuration=configuration, status=status, **fields)
    if created is not None:
        Credential.objects.filter(pk=credential.pk).update(created=created)
    return credential


def every_state(configuration, now: datetime) -> None:
    """Credentials in every public state and the combinations whose precedence matters."""
    day = timedelta(days=1)
    make(configuration)  # valid, no expiry
    make(configuration, visibility="private")  # private and valid
    for days in (3, 20, 60, 200):  # valid, expiring
        make(configuration, expires_at=now + days * day, created=now - (365 - days) * day)
    make(configuration, expires_at=now - 2 * day)  # expired
    make(configuration, expires_at=now - 40 * day, visibility="private")  # expired and private
    make(configuration, suspended_at=now - day)  # suspended
    make(configuration, suspended_at=now - 9 * day, expires_at=now - 3 * day)  # suspended and expired
    make(configuration, suspended_at=now - 9 * day, expires_at=now + 5 * day)  # suspended, would expire soon
    make(configuration, Status.INVALIDATED, reason="refunded", expires_at=now - 5 * day)  # revoked and expired
    make(configuration, Status.INVALIDATED, reason="refunded", visibility="private")
    for reason in (*InvalidationReason.values, EXTRA_REASON[0], "no-longer-configured"):
        make(configuration, Status.INVALIDATED, reason=reason)
    old = make(configuration, Status.INVALIDATED, reason="renewed", expires_at=now - day)
    make(configuration, user=old.user, replaces=old, expires_at=now + 300 * day)  # the renewal: valid
    make(configuration, Status.INVALIDATED, reason="superseded", suspended_at=now - 30 * day)
    make(configuration, Status.GENERATING)
    make(configuration, Status.GENERATING, visibility="private")  # not issued: not counted as private
    for message in ("The font 'demo-serif' cannot be read.", "The font 'demo-serif' cannot be read.", "Timeout", ""):
        make(configuration, Status.ERROR, error_message=message)
    # Issue dates around week boundaries (UTC), and one before the chart's first week.
    monday = datetime.combine(week_start(now), datetime.min.time(), tzinfo=UTC)
    make(configuration, created=monday)
    make(configuration, created=monday - timedelta(seconds=1))
    make(configuration, created=monday - timedelta(weeks=DASHBOARD_WEEKS - 1))
    make(configuration, created=monday - timedelta(weeks=DASHBOARD_WEEKS - 1, seconds=1))
    make(
        configuration, Status.ERROR, created=monday - timedelta(weeks=3), error_message="Timeout"
    )  # not issued: not in the chart


def independent_figures(configuration, now: datetime) -> dict:
    """The same figures from each credential's credential_public_status, in Python."""
    credentials = list(Credential.objects.filter(configuration=configuration).select_related("replaced_by"))
    states: Counter = Counter()
    for credential in credentials:
        if credential.status not in PUBLIC_STATUSES:
            continue
        public = credential_public_status(credential, now=now)
        if public.status == "revoked":
            states[("revoked", public.reason)] += 1
        elif public.status == "superseded":
            states["renewed" if public.reason == InvalidationReason.RENEWED else "superseded"] += 1
        else:
            states[public.status] += 1
    first_week = week_start(now) - timedelta(weeks=DASHBOARD_WEEKS - 1)
    weeks = Counter(
        week_start(c.created)
        for c in credentials
        if c.status in PUBLIC_STATUSES and week_start(c.created) >= first_week
    )
    valid = [
        c for c in credentials if c.status in PUBLIC_STATUSES and credential_public_status(c, now=now).status == "valid"
    ]
    return {
        "states": states,
        "private": sum(c.status in PUBLIC_STATUSES and c.visibility == "private" for c in credentials),
        "generating": sum(c.status == Status.GENERATING for c in credentials),
        "error": sum(c.status == Status.ERROR for c in credentials),
        "errors": Counter(c.error_message for c in credentials if c.status == Status.ERROR),
        "weeks": {
            first_week + timedelta(weeks=i): weeks[first_week + timedelta(weeks=i)] for i in range(DASHBOARD_WEEKS)
        },
        "expiring": {
            days: sum(c.expires_at is not None and c.expires_at <= now + timedelta(days=days) for c in valid)
            for days in EXPIRY_HORIZONS
        },
        "next": sorted((c.expires_at, c.pk) for c in valid if c.expires_at is not None)[:NEXT_EXPIRIES],
    }


@pytest.mark.parametrize("time_zone", ["UTC", "Pacific/Auckland"])
def test_every_figure_agrees_with_each_credentials_public_status(expiring_configuration, settings, time_zone):
    settings.TIME_ZONE = time_zone  # weeks are UTC weeks whatever the site's zone (and MariaDB's zone tables)
    now = timezone.now()
    every_state(expiring_configuration, now)
    factories.CredentialFactory(status=Status.ERROR, error_message="Another configuration's")  # not counted
    expected = independent_figures(expiring_configuration, now)

    dashboard = configuration_dashboard(configuration=expiring_configuration, now=now)

    states = expected["states"]
    assert (dashboard.valid, dashboard.suspended, dashboard.expired) == (
        states["valid"],
        states["suspended"],
        states["expired"],
    )
    assert (dashboard.valid, dashboard.suspended, dashboard.expired) == (11, 3, 2)  # the fixture is what it says
    assert {(reason.reason, reason.count) for reason in dashboard.revoked} == {
        (key[1], count) for key, count in states.items() if isinstance(key, tuple)
    }
    assert (dashboard.superseded, dashboard.renewed) == (states["superseded"], states["renewed"]) == (2, 2)
    assert dashboard.issued == sum(states.values())
    labels = {reason.reason: reason.label for reason in dashboard.revoked}
    assert labels["refunded"] == "Refunded"
    assert labels[EXTRA_REASON[0]] == EXTRA_REASON[1]
    assert labels["no-longer-configured"] == "no-longer-configured"
    assert not set(labels) & REPLACEMENT_REASONS
    assert dict(private=dashboard.private, generating=dashboard.generating, error=dashboard.error) == dict(
        private=expected["private"], generating=expected["generating"], error=expected["error"]
    )
    assert [(group.message, group.count) for group in dashboard.top_errors] == [
        ("The font 'demo-serif' cannot be read.", 2),
        ("Timeout", 2),
        ("", 1),
    ]
    assert Counter({group.message: group.count for group in dashboard.top_errors}) == expected["errors"]
    assert {week.start: week.issued for week in dashboard.weeks} == expected["weeks"]
    assert len(dashboard.weeks) == DASHBOARD_WEEKS and dashboard.weeks[-1].start == week_start(now)
    assert {e.days: e.count for e in dashboard.expiring} == expected["expiring"]
    assert [(e.expires_at, e.credential_id) for e in dashboard.next_expiries] == expected["next"]


def test_top_errors_are_the_five_most_common(configuration):
    for index in range(7):
        for _ in range(index + 1):
            make(configuration, Status.ERROR, error_message=f"Failure {index}")
    dashboard = configuration_dashboard(configuration=configuration)
    assert [(group.message, group.count) for group in dashboard.top_errors] == [
        (f"Failure {index}", index + 1) for index in range(6, 1, -1)
    ]
    assert dashboard.error == 28


def test_no_expiry_section_without_expiries(configuration):
    make(configuration)
    dashboard = configuration_dashboard(configuration=configuration)
    assert dashboard.expiring is None and dashboard.next_expiries == ()


def mixed(configuration, count: int, now: datetime) -> None:
    states = [
        {},
        {"expires_at": now + timedelta(days=10)},
        {"expires_at": now - timedelta(days=10)},
        {"suspended_at": now},
        {"status": Status.INVALIDATED, "reason": "refunded"},
        {"status": Status.INVALIDATED, "reason": "renewed"},
        {"status": Status.ERROR, "error_message": "Broken template"},
        {"status": Status.GENERATING},
    ]
    for index in range(count):
        make(configuration, created=now - timedelta(days=index * 5), **states[index % len(states)])


def test_the_number_of_queries_does_not_grow_with_the_credentials(expiring_configuration, admin_client):
    now = timezone.now()
    page = reverse("admin:learning_credentials_credentialconfiguration_change", args=[expiring_configuration.pk])

    def measure() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as dashboard_queries:
            configuration_dashboard(configuration=expiring_configuration, now=now)
        with CaptureQueriesContext(connection) as page_queries:
            assert admin_client.get(page).status_code == 200
        return len(dashboard_queries), len(page_queries)

    mixed(expiring_configuration, 8, now)
    admin_client.get(page)  # the first request of a session fills caches (content types, permissions)
    few = measure()
    mixed(expiring_configuration, 30, now)
    assert Credential.objects.filter(configuration=expiring_configuration).count() == 38
    assert measure() == few
    assert few[0] == 6


def test_the_change_page_shows_the_dashboard(expiring_configuration, admin_client):
    now = timezone.now()
    every_state(expiring_configuration, now)
    other = factories.CredentialFactory(status=Status.ERROR, error_message="Another configuration's")
    verified = Credential.objects.filter(configuration=expiring_configuration, status=Status.AVAILABLE).first()
    VerificationCount.objects.create(credential=verified, channel="page", day=now.date(), count=3)
    VerificationCount.objects.create(credential=verified, channel="qr", day=now.date() - timedelta(days=2), count=2)
    VerificationCount.objects.create(credential=other, channel="page", day=now.date(), count=40)  # not this one's
    page = reverse("admin:learning_credentials_credentialconfiguration_change", args=[expiring_configuration.pk])

    response = admin_client.get(page)

    assert response.status_code == 200
    html = response.content.decode()
    svg = re.search(r"<svg class=\"lc-chart\".*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="lc-chart-title lc-chart-desc"' in svg
    assert '<title id="lc-chart-title">Credentials issued per week</title>' in svg
    assert svg.count('<rect class="lc-bar"') == DASHBOARD_WEEKS
    assert "<details" in html and html.count('<th scope="row">') > DASHBOARD_WEEKS
    dashboard = configuration_dashboard(configuration=expiring_configuration, now=now)
    for figure, value in (
        ("valid", dashboard.valid),
        ("suspended", dashboard.suspended),
        ("expired", dashboard.expired),
        ("renewed", dashboard.renewed),
        ("superseded", dashboard.superseded),
        ("private", dashboard.private),
        ("error", dashboard.error),
        ("revoked-fraud", 1),
        ("expiring-90", 3),
    ):
        assert f'data-figure="{figure}">{value}<' in html, figure
    assert "Revoked: Academic misconduct" in html
    assert "5 verifications, the last on" in html
    assert '<th scope="row">Verification page</th><td class="lc-number" data-figure="verified-1">3<' in html
    assert '<th scope="row">QR code link</th><td class="lc-number" data-figure="verified-2">2<' in html
    assert "The font &#x27;demo-serif&#x27; cannot be read." in html
    first = dashboard.next_expiries[0]
    assert reverse("admin:learning_credentials_credential_change", args=[first.credential_id]) in html

    errors_url = re.search(r'<a href="([^"]+)">All 5 credentials in error</a>', html).group(1).replace("&amp;", "&")
    listed = admin_client.get(errors_url)
    assert listed.status_code == 200
    assert {c.pk for c in listed.context["cl"].result_list} == set(
        Credential.objects.filter(configuration=expiring_configuration, status=Status.ERROR).values_list(
            "pk", flat=True
        )
    )
    assert other.pk not in {c.pk for c in listed.context["cl"].result_list}


def test_the_add_page_has_no_dashboard(admin_client, configuration):
    response = admin_client.get(reverse("admin:learning_credentials_credentialconfiguration_add"))
    assert response.status_code == 200
    assert "lc-dashboard" not in response.content.decode()


def test_the_chart_scales_to_the_busiest_week_and_keeps_empty_weeks():
    start = week_start(datetime(2026, 6, 1, tzinfo=UTC))
    weeks = tuple(WeekCount(start=start + timedelta(weeks=i), issued=[0, 3, 9][i % 3]) for i in range(DASHBOARD_WEEKS))
    chart = dashboard_chart(weeks)
    heights = [bar["height"] for bar in chart["bars"]]
    assert len(heights) == DASHBOARD_WEEKS and heights[0] == 0
    assert [tick["value"] for tick in chart["ticks"]] == [0, 5, 10]
    assert heights[2] == pytest.approx(heights[1] * 3, abs=0.2)
    assert chart["ticks"][-1]["y"] < chart["bars"][2]["y"] < chart["baseline"]
    assert [month["date"].month for month in chart["months"]] == [6, 7, 8, 9, 10, 11]
    empty = dashboard_chart(tuple(WeekCount(start=w.start, issued=0) for w in weeks))
    assert [tick["value"] for tick in empty["ticks"]] == [0, 1] and {b["height"] for b in empty["bars"]} == {0}


def test_each_upcoming_expiry_figure_links_to_the_credentials_it_counts(expiring_configuration, admin_client):
    now = timezone.now()
    every_state(expiring_configuration, now)
    factories.CredentialFactory(expires_at=now + timedelta(days=3))  # another configuration's: not listed
    page = reverse("admin:learning_credentials_credentialconfiguration_change", args=[expiring_configuration.pk])
    html = admin_client.get(page).content.decode()
    dashboard = configuration_dashboard(configuration=expiring_configuration, now=now)
    for horizon in dashboard.expiring:
        link = re.search(rf'<a href="([^"]*expiry={horizon.days})">', html).group(1).replace("&amp;", "&")
        listed = admin_client.get(link).context["cl"].result_count
        assert listed == horizon.count, f"within {horizon.days} days"
    assert [e.count for e in dashboard.expiring] != [0, 0, 0]  # the fixture has credentials expiring

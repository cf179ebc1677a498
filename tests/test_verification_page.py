"""The public verification page, the code lookup form and the /verify/code/<code>/ route."""

import itertools
import re
import uuid
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.template.defaultfilters import date as date_filter
from django.utils import timezone

from learning_credentials.models import Visibility
from tests import factories
from tests.rest_api.test_v1 import MALFORMED

pytestmark = pytest.mark.django_db
BASE = "https://lms.example.com"
LOOKUP = "/learning_credentials/verify/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def available(configuration):
    user = factories.UserFactory(username="grace", email="grace@example.com", profile__full_name="Grace Hopper")
    return factories.CredentialFactory(user=user, configuration=configuration, score="91.50")


def invalidate(credential, reason="refunded", note="internal: chargeback from the bank"):
    credential.status, credential.active = "invalidated", None
    credential.invalidated_at, credential.invalidation_reason = timezone.now(), reason
    credential.invalidation_note = note
    credential.save()


def page(client, credential_or_id):
    identifier = getattr(credential_or_id, "verify_uuid", credential_or_id)
    return client.get(f"/learning_credentials/verify/{identifier}/")


class Outline(HTMLParser):
    """Landmarks, headings, meta tags and images of a page."""

    def __init__(self):
        super().__init__()
        self.tags, self.headings, self.meta, self.images, self._heading = [], [], {}, [], None
        self.html_lang = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if tag == "meta" and ("property" in attrs or "name" in attrs):
            self.meta[attrs.get("property") or attrs["name"]] = attrs.get("content")
        if tag == "img":
            self.images.append(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = [int(tag[1]), ""]

    def handle_data(self, data):
        if self._heading is not None:
            self._heading[1] += data

    def handle_endtag(self, tag):
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings.append((self._heading[0], self._heading[1].strip()))
            self._heading = None


def outline(response) -> Outline:
    parser = Outline()
    parser.feed(response.content.decode())
    return parser


class TestPage:
    def test_shows_everything_an_employer_needs(self, client, available):
        response = page(client, available)
        html = response.content.decode()
        assert response.status_code == 200
        for expected in (
            "Grace Hopper",
            "Certificate of Completion",
            "Introduction to Computing",
            "DemoX",
            date_filter(available.created, "DATE_FORMAT"),
            "91.50%",
            "This credential is valid.",
            f"{available.verification_code[:5]}-{available.verification_code[5:]}",
        ):
            assert expected in html, expected
        for secret in ("grace@example.com", str(available.uuid)):
            assert secret not in html
        assert response["Cache-Control"] == "public, max-age=60" and response["ETag"]

    def test_accessible_markup(self, client, available):
        parsed = outline(page(client, available))
        assert parsed.html_lang == "en"
        for landmark in ("header", "nav", "main", "footer"):
            assert parsed.tags.count(landmark) == 1, landmark
        levels = [level for level, _text in parsed.headings]
        assert levels.count(1) == 1 and levels[0] == 1
        assert all(later - earlier <= 1 for earlier, later in itertools.pairwise(levels))
        assert all(text for _level, text in parsed.headings)
        assert parsed.images and all(image.get("alt") for image in parsed.images)
        html = page(client, available).content.decode()
        assert 'href="#content"' in html and 'id="content"' in html

    def test_open_graph_and_twitter_cards_point_at_the_share_image(self, client, available):
        parsed = outline(page(client, available))
        meta = parsed.meta
        image = f"{BASE}/learning_credentials/verify/{available.verify_uuid}/image.png"
        assert meta["og:image"] == meta["twitter:image"] == image
        assert meta["og:url"] == f"{BASE}/learning_credentials/verify/{available.verify_uuid}/"
        assert meta["twitter:card"] == "summary_large_image"
        assert (meta["og:image:width"], meta["og:image:height"]) == ("1200", "627")
        assert "Grace Hopper" in meta["og:title"] and "Grace Hopper" in meta["og:description"]
        assert meta["og:image:alt"] and meta["twitter:image:alt"]
        assert [img["src"] for img in parsed.images] == [image.removeprefix(BASE)]  # served by this very site
        assert client.get(image.removeprefix(BASE)).status_code == 200

    def test_print_stylesheet_with_a_qr_code_back_to_the_page(self, client, available):
        html = page(client, available).content.decode()
        assert "@media print" in html
        printed = html[html.index('class="print-only') :]
        assert printed.index("<svg") < printed.index("</svg>")
        assert "<title>QR code of this verification page</title>" in printed
        assert f"{BASE}/learning_credentials/verify/{available.verify_uuid}/" in printed

    def test_revoked_says_when_and_why_but_never_the_note(self, client, available):
        invalidate(available, reason="issued_in_error")
        response = page(client, available)
        html = response.content.decode()
        assert response.status_code == 200
        date = date_filter(available.invalidated_at, "DATE_FORMAT")
        assert f"This credential was revoked on {date}. Reason: Issued in error." in html
        assert "is valid" not in html and "chargeback" not in html

    def test_superseded_links_to_the_newer_credential(self, client, available):
        invalidate(available, reason="superseded", note="")
        newer = factories.CredentialFactory(
            user=available.user, configuration=available.configuration, replaces=available
        )
        html = page(client, available).content.decode()
        assert "superseded by a newer credential" in html
        assert f'href="{BASE}/learning_credentials/verify/{newer.verify_uuid}/"' in html

    @pytest.mark.parametrize("status", ["generating", "error"])
    def test_unfinished_is_404(self, client, configuration, status):
        credential = factories.CredentialFactory(configuration=configuration, status=status)
        assert page(client, credential).status_code == 404

    @pytest.mark.parametrize("junk", [*MALFORMED, str(uuid.uuid4()), "code"])
    def test_unknown_and_malformed_are_404(self, client, junk):
        assert page(client, junk).status_code == 404

    def test_private_notice_for_the_holder_only_sees_it(self, client, available, staff_user):
        available.visibility = Visibility.PRIVATE
        available.save()
        for viewer in (available.user, staff_user):
            client.force_login(viewer)
            response = page(client, available)
            assert response.status_code == 200
            assert "This credential is private" in response.content.decode()
            assert outline(response).meta["robots"] == "noindex, nofollow"
            assert "private" in response["Cache-Control"]


class TestCodeRoute:
    @pytest.mark.parametrize(
        "typed", ["{code}", "{lower}", "{half}-{rest}", "{half}%20{rest}", " {lower} ", "-{code}-"]
    )
    def test_any_way_of_typing_redirects_to_the_page(self, client, available, typed):
        code = available.verification_code
        typed = typed.format(code=code, lower=code.lower(), half=code[:5], rest=code[5:].lower())
        response = client.get(f"/learning_credentials/verify/code/{typed}/")
        assert response.status_code == 302
        # ?via=: the lookup counted the verification; the page does not count it again (verification counts).
        assert response["Location"] == f"/learning_credentials/verify/{available.verify_uuid}/?via=code"

    def test_revoked_is_found_too(self, client, available):
        invalidate(available)
        response = client.get(f"/learning_credentials/verify/code/{available.verification_code}/", follow=True)
        assert "was revoked on" in response.content.decode()

    @pytest.mark.parametrize("junk", [*MALFORMED, "ZZZZZZZZZZ", "a/b"])
    def test_unknown_and_malformed_are_404(self, client, junk):
        assert client.get(f"/learning_credentials/verify/code/{junk}/").status_code == 404

    def test_the_short_link_of_the_qr_code_redirects_to_the_page(self, client, available):
        from learning_credentials.selectors import verify_short_url

        short = verify_short_url(available)
        assert short == f"https://lms.example.com/learning_credentials/v/{available.verification_code}"
        response = client.get(short.removeprefix("https://lms.example.com"))
        assert response.status_code == 302
        assert response["Location"] == f"/learning_credentials/verify/{available.verify_uuid}/?via=qr"
        assert client.get("/learning_credentials/v/ZZZZZZZZZZ").status_code == 404


class TestLookupForm:
    def test_empty_form(self, client):
        response = client.get(LOOKUP)
        html = response.content.decode()
        assert response.status_code == 200
        assert '<label for="id_code">' in html and 'name="code"' in html
        # Below the code form, "Check a file" (the Open Badges sub-app is installed here).
        assert [level for level, _text in outline(response).headings] == [1, 2]

    def test_a_typed_code_leads_to_the_page(self, client, available):
        code = available.verification_code
        response = client.get(LOOKUP, {"code": f" {code[:5].lower()} - {code[5:]} "})
        assert response.status_code == 302
        assert response["Location"] == f"/learning_credentials/verify/{available.verify_uuid}/?via=code"

    @pytest.mark.parametrize("junk", ["ZZZZZZZZZZ", "x" * 5000, "\x00", "😀" * 8, "%00", "<script>"])
    def test_unknown_code_says_so_with_a_404(self, client, db, junk):
        response = client.get(LOOKUP, {"code": junk})
        html = response.content.decode()
        assert response.status_code == 404
        assert "No credential matches this code" in html and 'aria-invalid="true"' in html
        assert "<script>" not in html


class TestPrivateIsExactlyUnknown:
    """A private credential answers everyone but its holder and staff exactly as an unknown one."""

    def _answers(self, client, credential):
        code, verify_uuid = credential.verification_code, credential.verify_uuid
        return [
            client.get(f"/learning_credentials/verify/{verify_uuid}/"),
            client.get(f"/learning_credentials/verify/code/{code}/"),
            client.get(f"/api/learning_credentials/v1/verify/{code}/"),
            client.get(LOOKUP, {"code": code}),
        ]

    def test_for_anonymous_users_and_other_learners(self, client, available, configuration, staff_user):
        unknown = factories.CredentialFactory.build(configuration=configuration, verification_code="ZZZZZZZZZZ")
        available.visibility = Visibility.PRIVATE
        available.save()
        for viewer in (None, factories.UserFactory(username="stranger")):
            if viewer is not None:
                client.force_login(viewer)
            private, missing = self._answers(client, available), self._answers(client, unknown)
            for got, expected in zip(private, missing, strict=True):
                assert got.status_code == expected.status_code == 404
                assert got.content.replace(available.verification_code.encode(), b"") == expected.content.replace(
                    b"ZZZZZZZZZZ", b""
                )
        for viewer in (available.user, staff_user):
            client.force_login(viewer)
            page_answer, code_answer, api_answer, form_answer = self._answers(client, available)
            assert page_answer.status_code == api_answer.status_code == 200
            assert code_answer.status_code == form_answer.status_code == 302


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(one: str, other: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_text_colours_have_sufficient_contrast(client, available):
    """Every rule that sets both a text and a background colour meets WCAG AA (4.5:1); so do text and links on white."""
    css = page(client, available).content.decode().split("<style>")[1].split("</style>")[0]
    pairs = []
    for rule in re.findall(r"\{([^{}]*)\}", css):
        colour = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", rule)
        background = re.search(r"background:\s*(#[0-9a-fA-F]{6})", rule)
        if colour and background:
            pairs.append((colour[1], background[1]))
    link = re.search(r"a \{ color: (#[0-9a-fA-F]{6})", css)[1]
    pairs += [(link, "#ffffff"), ("#4a4a4a", "#ffffff")]
    assert len(pairs) >= 6
    assert all(_contrast(*pair) >= 4.5 for pair in pairs), pairs


class TestPdfLink:
    """The page links the public PDF while the credential is valid and public PDFs are on."""

    PDF = 'href="/learning_credentials/verify/{}/credential.pdf"'

    def test_linked_for_a_valid_credential(self, client, available):
        assert self.PDF.format(available.verify_uuid) in page(client, available).content.decode()

    def test_not_linked_when_public_pdfs_are_off(self, client, available, settings):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "PUBLIC_PDF": False}
        assert "credential.pdf" not in page(client, available).content.decode()

    def test_not_linked_for_a_revoked_credential(self, client, available):
        invalidate(available)
        assert "credential.pdf" not in page(client, available).content.decode()

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.forms import modelform_factory
from django.utils import timezone
from PIL import Image
from sandbox.lms import models as lms

from learning_credentials.models import CredentialAsset, CredentialConfiguration, CredentialEvent, CredentialType
from tests import factories

pytestmark = pytest.mark.django_db


def _invalidate_row(credential):
    credential.status = "invalidated"
    credential.active = None
    credential.invalidated_at = timezone.now()
    credential.save()


class TestOneLiveCredentialConstraint:
    def test_second_live_credential_is_refused_by_the_database(self, configuration):
        first = factories.CredentialFactory(configuration=configuration)
        with pytest.raises(IntegrityError), transaction.atomic():
            factories.CredentialFactory(configuration=configuration, user=first.user, status="generating")
        assert first.user.learning_credentials.count() == 1

    def test_invalidated_credentials_do_not_count(self, configuration):
        first = factories.CredentialFactory(configuration=configuration)
        _invalidate_row(first)
        second = factories.CredentialFactory(configuration=configuration, user=first.user)
        _invalidate_row(second)
        factories.CredentialFactory(configuration=configuration, user=first.user)
        assert first.user.learning_credentials.count() == 3

    def test_other_learners_and_configurations_are_independent(self, configuration):
        first = factories.CredentialFactory(configuration=configuration)
        factories.CredentialFactory(configuration=configuration)
        other = factories.CredentialFactory(user=first.user, configuration=factories.ConfigurationFactory())
        assert first.user.learning_credentials.count() == 2
        assert {first.active, other.active} == {True}

    @pytest.mark.parametrize("status,active", [("invalidated", True), ("available", None), ("generating", False)])
    def test_active_flag_must_match_status(self, configuration, status, active):
        with pytest.raises(IntegrityError), transaction.atomic():
            factories.CredentialFactory(configuration=configuration, status=status, active=active)

    def test_verification_codes_are_unique(self, configuration):
        first = factories.CredentialFactory(configuration=configuration)
        with pytest.raises(IntegrityError), transaction.atomic():
            factories.CredentialFactory(configuration=configuration, verification_code=first.verification_code)

    def test_a_credential_is_replaced_at_most_once(self, configuration):
        old = factories.CredentialFactory(configuration=configuration)
        _invalidate_row(old)
        newer = factories.CredentialFactory(configuration=configuration, user=old.user, replaces=old)
        _invalidate_row(newer)
        with pytest.raises(IntegrityError), transaction.atomic():
            factories.CredentialFactory(configuration=configuration, user=old.user, replaces=old)


def test_configuration_is_unique_per_context_and_type(configuration):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.ConfigurationFactory(credential_type=configuration.credential_type)


def test_audit_events_are_append_only(configuration):
    event = CredentialEvent.objects.create(
        credential=factories.CredentialFactory(configuration=configuration), kind="issued", source="api"
    )
    event.reason = "rewritten"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    assert CredentialEvent.objects.get(pk=event.pk).reason == ""


class TestTypeAndConfigurationValidation:
    def test_unknown_function_keys_name_the_field(self):
        credential_type = factories.CredentialTypeFactory.build(retrieval_func="nope", generation_func="nada")
        with pytest.raises(ValidationError) as error:
            credential_type.full_clean()
        assert "'nope' is not a registered retrieve_*" in str(error.value.message_dict["retrieval_func"])
        assert "'nada' is not a registered generate_*" in str(error.value.message_dict["generation_func"])

    @pytest.mark.parametrize(
        "options,message",
        [
            ({"required_completion": "ninety"}, "required_completion must be a number between 0 and 100."),
            ({"required_completion": 120}, "required_completion must be a number between 0 and 100."),
            ({"colour": "#fff"}, "There is no option 'colour'; the accepted options are: 'color',"),
            ({"elements": {"name": {"text": "{nmae}"}}}, "unknown placeholder {nmae}"),
            ({"elements": {"logo": False}}, "only standard elements"),
            ({"font": "Comic Sans"}, "font names the unknown font 'Comic Sans'"),
        ],
    )
    def test_malformed_options_name_the_option(self, options, message):
        credential_type = factories.CredentialTypeFactory.build(custom_options=options)
        with pytest.raises(ValidationError) as error:
            credential_type.full_clean()
        assert message in str(error.value.message_dict["custom_options"])

    def test_type_may_leave_required_options_to_configurations(self, course, template_asset):
        credential_type = factories.CredentialTypeFactory(custom_options={})
        credential_type.full_clean()
        configuration = factories.ConfigurationFactory.build(credential_type=credential_type)
        with pytest.raises(ValidationError, match="template is required"):
            configuration.full_clean()
        configuration.custom_options = {"template": "certificate-template"}
        configuration.full_clean()

    def test_missing_or_wrong_kind_asset_is_refused_on_save(self, course, template_asset):
        with pytest.raises(
            ValidationError, match=r"template: there is no asset with the slug 'nope'; it should name a PDF template\."
        ):
            factories.CredentialTypeFactory(custom_options={"template": "nope"})
        CredentialAsset.objects.create(slug="logo", kind="image", file=ContentFile(_png(), name="logo.png"))
        credential_type = factories.CredentialTypeFactory(custom_options={})
        with pytest.raises(ValidationError, match=r"template: 'logo' is an image, not a PDF template\."):
            factories.ConfigurationFactory(credential_type=credential_type, custom_options={"template": "logo"})
        assert not CredentialConfiguration.objects.exists()

    def test_save_refuses_unknown_function_keys(self):
        with pytest.raises(ValidationError) as error:
            factories.CredentialTypeFactory(generation_func="gone")
        assert "generation_func" in error.value.message_dict
        assert not CredentialType.objects.exists()

    def test_configuration_overrides_deep_merge(self, template_asset):
        credential_type = factories.CredentialTypeFactory(
            custom_options={"template": "certificate-template", "elements": {"name": {"size": 30, "color": "#112233"}}}
        )
        configuration = factories.ConfigurationFactory.build(
            credential_type=credential_type, custom_options={"elements": {"name": {"size": 40}}}
        )
        assert configuration.options() == {
            "template": "certificate-template",
            "elements": {"name": {"size": 40, "color": "#112233"}},
        }

    def test_invalid_context_key_is_refused_by_the_form(self, configuration):
        form_class = modelform_factory(
            CredentialConfiguration, fields=["learning_context_key", "credential_type", "enabled"]
        )
        form = form_class(
            data={"learning_context_key": "not a key", "credential_type": configuration.credential_type_id}
        )
        assert not form.is_valid()
        assert "learning_context_key" in form.errors
        lms.LearningPath.objects.create(key="path-v1:DemoX+data+2026+all", display_name="Data", organization="DemoX")
        path = form_class(
            data={
                "learning_context_key": "path-v1:DemoX+data+2026+all",
                "credential_type": configuration.credential_type_id,
            }
        )
        assert path.is_valid(), path.errors


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


class TestAssetValidation:
    @pytest.mark.parametrize(
        "kind,content,name,message",
        [
            ("pdf_template", b"hello", "t.pdf", "not a PDF"),
            ("pdf_template", b"%PDF-1.4\ngarbage", "t.pdf", "cannot be read"),
            ("pdf_template", b"%PDF-1.4" + b"0" * (10 * 1024 * 1024), "big.pdf", "at most 10 MB"),
            ("image", b"not an image", "logo.png", "The file is not an image we can read (PNG or JPEG)."),
            ("font", b"OTTO" + b"\x00" * 64, "cff.otf", "only TrueType-outline fonts"),
            ("font", b"\x00\x01\x00\x00garbage", "bad.ttf", "font cannot be read: it is damaged"),
            ("image", b"", "empty.png", "empty"),
        ],
    )
    def test_bad_uploads_are_refused_with_a_reason(self, kind, content, name, message):
        asset = CredentialAsset(slug="x", kind=kind, file=ContentFile(content, name=name))
        with pytest.raises(ValidationError) as error:
            asset.full_clean()
        assert message in " ".join(error.value.message_dict["file"])

    @pytest.mark.parametrize(
        "kind,content,name",
        [("pdf_template", factories.template_pdf(), "t.pdf"), ("image", _png(), "logo.png")],
    )
    def test_good_uploads_pass_and_record_their_hash(self, kind, content, name):
        asset = CredentialAsset(slug="ok", kind=kind, file=ContentFile(content, name=name))
        asset.full_clean()
        asset.save()
        assert len(asset.content_hash) == 64

    def test_save_refuses_a_bad_file_and_stores_nothing(self, settings, tmp_path):
        with pytest.raises(ValidationError, match="not a PDF"):
            CredentialAsset.objects.create(slug="bad", kind="pdf_template", file=ContentFile(b"junk", name="bad.pdf"))
        assert not CredentialAsset.objects.exists()
        assert not list((tmp_path / "media").rglob("bad*"))

    def test_a_truetype_font_passes(self):
        from pathlib import Path

        import reportlab

        font = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
        asset = CredentialAsset(slug="vera", kind="font", file=ContentFile(font.read_bytes(), name="Vera.ttf"))
        asset.full_clean()
        asset.save()
        assert CredentialAsset.objects.get(slug="vera").content_hash == asset.content_hash != ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    "options,path",
    [
        ({"images": {"logo": {"image": "no-logo", "x": 1, "y": 1, "width": 10}}}, "images.logo.image"),
        ({"elements": {"name": {"font": "no-font"}}}, "elements.name.font"),
        ({"defaults": {"font": "no-font"}}, "defaults.font"),
        ({"font": "no-font"}, "font"),
        ({"share_image": {"background": "no-background"}}, "share_image.background"),
    ],
)
def test_assets_named_inside_options_must_exist(template_asset, options, path):
    with pytest.raises(ValidationError) as error:
        factories.CredentialTypeFactory(custom_options={"template": "certificate-template", **options})
    assert f"{path}: there is no asset with the slug" in str(error.value)

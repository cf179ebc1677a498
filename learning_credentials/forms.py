"""Admin forms. They collect and check input; the services they feed hold the rules."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .exceptions import InvalidContextKey
from .identifiers import parse_context_key
from .models import CredentialConfiguration, CredentialExport, CredentialType, InvalidationReason
from .registry import generation_functions, retrieval_functions
from .selectors import invalidation_reasons, user_get


class CredentialTypeForm(forms.ModelForm):
    """Function keys picked from the registries instead of typed."""

    class Meta:
        model = CredentialType
        fields = ("name", "slug", "retrieval_func", "generation_func", "custom_options")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, registry in (("retrieval_func", retrieval_functions), ("generation_func", generation_functions)):
            choices = registry.choices()
            current = self.initial.get(name)
            if current and current not in dict(choices):
                # Keep a key whose plugin is gone selectable, so the model's error explains it instead of
                # the select silently switching to another function.
                choices.append((current, gettext("%(key)s (not registered)") % {"key": current}))
            self.fields[name].widget = forms.Select(choices=[("", "---------"), *choices])


def _reason_choices() -> list[tuple[str, str]]:
    """Every reason but 'renewed', which only a renewal gives (its page links the newer credential)."""
    reasons = invalidation_reasons()
    reasons.pop(InvalidationReason.RENEWED, None)
    return list(reasons.items())  # pairs: Django 4.2 takes no mapping


class InvalidateForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Reason category"),
        choices=_reason_choices,
        help_text=_("Shown publicly on the verification page."),
    )
    note = forms.CharField(
        label=_("Staff note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For staff only; never shown publicly."),
    )


class ReissueForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the credential is reissued, e.g. the learner's name changed; kept in the audit trail."),
    )


class RenewForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Why the credential is renewed, e.g. the learner renewed their licence elsewhere; kept in the audit "
            "trail. The renewed credential is valid for the configuration's validity period from today; the old "
            "one says 'renewed' with a link to it."
        ),
    )


class SuspendForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Why the credential is held back, e.g. an inquiry into the exam; kept in the audit trail, never shown "
            "publicly (the public pages say only 'suspended since')."
        ),
    )


class ManualIssueForm(forms.Form):
    """A staff award: the learner gets the credential whether or not they meet its criteria."""

    configuration = forms.ModelChoiceField(
        label=_("Configuration"),
        queryset=CredentialConfiguration.objects.select_related("credential_type").order_by("learning_context_key"),
    )
    learner = forms.CharField(label=_("Learner (username)"), max_length=150)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the learner gets it without meeting the criteria; kept in the audit trail."),
    )

    def clean_learner(self):
        user = user_get(username=self.cleaned_data["learner"])
        if user is None:
            raise forms.ValidationError(_("There is no user with this username."))
        return user


class ExportForm(forms.Form):
    """A staff export: one configuration's credentials, or a whole context's (every configuration in it)."""

    configuration = forms.ModelChoiceField(
        label=_("Configuration"),
        required=False,
        queryset=CredentialConfiguration.objects.select_related("credential_type").order_by("learning_context_key"),
        help_text=_("Export this configuration's credentials; or leave it empty and give a context."),
    )
    context_key = forms.CharField(
        label=_("Learning context key"),
        required=False,
        max_length=255,
        help_text=_("course-v1:... or path-v1:...: every credential of every configuration in it."),
    )
    format = forms.ChoiceField(label=_("Format"), choices=CredentialExport.Format.choices)

    def clean_context_key(self):
        raw = self.cleaned_data["context_key"].strip()
        if not raw:
            return None
        try:
            return parse_context_key(raw)
        except InvalidContextKey as exc:
            raise forms.ValidationError(
                _("Enter a course key (course-v1:...) or a learning path key (path-v1:...).")
            ) from exc

    def clean(self):
        data = super().clean()
        if not self.errors and (data.get("configuration") is None) == (data.get("context_key") is None):
            raise forms.ValidationError(_("Choose a configuration or give a learning context key, not both."))
        return data

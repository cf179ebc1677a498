"""Django admin for platform staff. Thin: every action and save that changes state calls a service."""

import functools
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_noop, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .assets import pdf_template_info
from .dashboard import EXPIRY_HORIZONS, ConfigurationDashboard, WeekCount, configuration_dashboard
from .exceptions import (
    AccessDenied,
    ExportExpired,
    ExportUnavailable,
    InvalidOptions,
    LearningCredentialsError,
    ObjectNotFound,
    QueueUnavailable,
)
from .forms import (
    ADMIN_FORM_FIELDS,
    CredentialTypeForm,
    ExportForm,
    InvalidateForm,
    ManualIssueForm,
    ReissueForm,
    RenewForm,
    SuspendForm,
)
from .identifiers import normalize_code
from .languages import language_choices
from .lifecycle import Status
from .models import (
    Credential,
    CredentialAsset,
    CredentialConfiguration,
    CredentialEvent,
    CredentialExport,
    CredentialRun,
    CredentialType,
    LanguageTemplate,
    RefundEvent,
    ScheduleType,
    VerificationChannel,
    Visibility,
)
from .problems import expected_kinds, form_sentences
from .registry import function_options, generation_functions, retrieval_functions
from .rendering.images import ImageRefused, image_open
from .rendering.share_image import share_image_options
from .runs import duration_words, run_outcome
from .selectors import (
    COUNTED_STATUSES,
    PUBLIC_STATUSES,
    configurations_with_stats,
    invalidation_reasons,
    public_code,
    public_identities_attach,
    run_error_messages,
    run_latest,
    user_may_export,
)
from .services import credential_invalidate, credential_issue_or_get, credential_reissue, credential_retry
from .services.assets import asset_replace_file
from .services.configuration import configuration_run_queue
from .services.exports import credential_export_open, credential_export_start, export_download_name
from .services.issuance import credential_renew
from .services.preview import credential_preview
from .services.run_preview import RunPreview, configuration_preview_start, preview_state
from .services.suspension import credential_suspend, credential_suspension_lift

SOURCE = CredentialEvent.Source.ADMIN
RECENT_RUNS = 10


class ReadOnlyMixin:
    """Rows only services write: the admin shows them and never adds or edits one."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AppendOnlyMixin(ReadOnlyMixin):
    """The audit trail: never edited and never deleted."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _render(template: str, context: dict[str, Any]) -> str:
    return render_to_string(f"learning_credentials/admin/{template}", context)


def _url_name(model_admin: admin.ModelAdmin, view: str) -> str:
    return f"{model_admin.opts.app_label}_{model_admin.opts.model_name}_{view}"


def form_page(
    model_admin: admin.ModelAdmin, request: HttpRequest, template: str, *, form, **context: Any
) -> TemplateResponse:
    """A staff form on a page of its own (a template extending admin/form_page.html), in the admin's frame."""
    return TemplateResponse(
        request,
        template,
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "form": form,
            "media": model_admin.media + form.media,
            **context,
        },
    )


# --- Preview ----------------------------------------------------------------------------------------


class PreviewMixin:
    """A "Preview" button on the change form: a sample PDF and share image under the unsaved options."""

    def preview_arguments(self, instance) -> dict[str, Any]:
        raise NotImplementedError

    def preview_languages(self, instance) -> list[tuple[str, dict[str, Any]]]:
        """(heading, what changes from preview_arguments) of each sample to render: one, by default."""
        return [("", {})]

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(require_POST(self.preview_view))
        return [
            path("preview/", view, name=_url_name(self, "preview")),
            path("<path:object_id>/preview/", view, name=_url_name(self, "preview_object")),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        name = "preview_object" if obj is not None and obj.pk else "preview"
        args = [obj.pk] if name == "preview_object" else []
        context["preview_url"] = reverse(f"admin:{_url_name(self, name)}", args=args)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def preview_view(self, request: HttpRequest, object_id: str | None = None) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        if object_id and obj is None:
            raise Http404()
        allowed = self.has_change_permission(request, obj) if obj else self.has_add_permission(request)
        if not allowed:
            raise PermissionDenied
        form = self.get_form(request, obj, change=obj is not None)(request.POST, request.FILES, instance=obj)
        context: dict[str, Any] = {**self.admin_site.each_context(request), "opts": self.model._meta, "errors": []}
        if not form.is_valid():
            context["errors"] = form_sentences(form)
        else:
            instance = form.save(commit=False)
            arguments, samples = self.preview_arguments(instance), []
            try:
                for heading, changes in self.preview_languages(instance):
                    preview = credential_preview(**{**arguments, **changes})
                    samples.append(
                        {"heading": heading, "pdf_uri": preview.data_uri("pdf"), "image_uri": preview.data_uri("image")}
                    )
            except InvalidOptions as exc:
                context["errors"] = exc.sentences
            except LearningCredentialsError as exc:
                context["errors"] = [exc.message]
            else:
                context["samples"] = samples
        return TemplateResponse(request, "learning_credentials/admin/preview.html", context)


# --- Credential types ---------------------------------------------------------------------------


@admin.register(CredentialType)
class CredentialTypeAdmin(PreviewMixin, admin.ModelAdmin):
    change_form_template = "learning_credentials/admin/type_change_form.html"
    form = CredentialTypeForm
    formfield_overrides = ADMIN_FORM_FIELDS
    list_display = ("name", "slug", "retrieval_func", "generation_func", "modified")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("declared_options",)
    fields = ("name", "slug", "retrieval_func", "generation_func", "custom_options", "declared_options")

    def preview_arguments(self, instance: CredentialType) -> dict[str, Any]:
        return {"credential_type": instance, "options": instance.custom_options or {}}

    @admin.display(description=_("Accepted options"))
    def declared_options(self, obj: CredentialType | None) -> str:
        """What custom_options may hold: the selected functions' declarations (every function's, when adding)."""
        if obj is None or obj.pk is None:
            selected = [
                (registry, key)
                for registry in (retrieval_functions, generation_functions)
                for key, _label in registry.choices()
            ]
        else:
            selected = [(retrieval_functions, obj.retrieval_func), (generation_functions, obj.generation_func)]
        sections = []
        for registry, key in [*selected, (None, "share image")]:
            section: dict[str, Any] = {"title": f"{registry.prefix}{key}" if registry else key}
            try:
                options = function_options(registry.get(key) if registry else share_image_options)
            except LearningCredentialsError as exc:
                section["error"] = exc.message
            else:
                section["options"] = [
                    {
                        "name": name,
                        "type": option.expects or expected_kinds(option.types),
                        "required": option.required,
                        "default": None if option.required else json.dumps(option.default, default=str),
                        "help": option.help,
                    }
                    for name, option in options.items()
                ]
            sections.append(section)
        return _render("declared_options.html", {"sections": sections})


# --- Exports started from a configuration ------------------------------------------------------------


EXPORT_QUEUED = gettext_noop("The export was queued; its file appears here when it is ready.")


class ExportActionsMixin:
    """The actions and the change page's buttons "Export credentials (CSV)" and "Export credentials (ZIP of PDFs)"."""

    def has_export_permission(self, request: HttpRequest) -> bool:
        return user_may_export(request.user)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/export/<str:format>/",
                self.admin_site.admin_view(require_POST(self.export_view)),
                name=_url_name(self, "export"),
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["has_export_permission"] = self.has_export_permission(request)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def export_view(self, request: HttpRequest, object_id: str, format: str) -> HttpResponse:
        configuration = self.get_object(request, unquote(object_id))
        if configuration is None or format not in CredentialExport.Format.values:
            raise Http404()
        return self._export(request, [configuration], format)

    @admin.action(description=_("Export credentials (CSV)"), permissions=["export"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[CredentialConfiguration]) -> HttpResponse:
        return self._export(request, queryset, CredentialExport.Format.CSV)

    @admin.action(description=_("Export credentials (ZIP of PDFs)"), permissions=["export"])
    def export_zip(self, request: HttpRequest, queryset: QuerySet[CredentialConfiguration]) -> HttpResponse:
        return self._export(request, queryset, CredentialExport.Format.ZIP)

    def _export(self, request: HttpRequest, configurations, format: str) -> HttpResponse:
        """One export per configuration, made in a worker; staff follow them on the exports' list."""
        try:
            for configuration in configurations:
                credential_export_start(user=request.user, configuration=configuration, format=format)
        except AccessDenied:
            raise PermissionDenied from None
        self.message_user(request, gettext(EXPORT_QUEUED), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:learning_credentials_credentialexport_changelist"))


# --- Configurations -----------------------------------------------------------------------------


def _status_count(status: Status) -> Callable[[CredentialConfiguration], int]:
    """A list column showing one status's count from the changelist's annotation."""
    attribute = f"{status.value}_count"

    @admin.display(description=status.label, ordering=attribute)
    def column(obj: CredentialConfiguration) -> int:
        return getattr(obj, attribute)

    column.__name__ = attribute
    return column


# Columns in the order staff read them: what learners hold first, then what needs attention.

STATUS_COUNTS = [_status_count(status) for status in COUNTED_STATUSES]


# --- A configuration's dashboard -------------------------------------------------------------------

# The chart's drawing area in SVG user units; the SVG scales to its box's width.
CHART_WIDTH, CHART_HEIGHT = 640, 170
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 36, 8, 10, 26


def _chart_step(highest: int) -> int:
    """A round step (1, 2, 5, 10, 20, 50, ...) for at most four grid lines above zero."""
    scale = 1
    while True:
        for step in (scale, 2 * scale, 5 * scale):
            if step * 4 >= highest:
                return step
        scale *= 10


def dashboard_chart(weeks: tuple[WeekCount, ...]) -> dict[str, Any]:
    """Where the bars, grid lines and month labels of the issued-per-week chart go; the template draws them."""
    highest = max((week.issued for week in weeks), default=0)
    step = _chart_step(highest)
    top = max(step, -(-highest // step) * step)  # the busiest week, rounded up to a grid line
    plot_width = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    slot = plot_width / max(len(weeks), 1)
    baseline = CHART_TOP + plot_height
    bars, months = [], []
    for index, week in enumerate(weeks):
        height = plot_height * week.issued / top
        x = CHART_LEFT + index * slot
        bars.append(
            {
                "week": week,
                "x": round(x + slot * 0.15, 1),
                "y": round(baseline - height, 1),
                "width": round(slot * 0.7, 1),
                "height": round(height, 1),
            }
        )
        if index == 0 or week.start.month != weeks[index - 1].start.month:
            months.append({"index": index, "x": round(x + slot / 2, 1), "date": week.start})
    if len(months) > 1 and months[1]["index"] < 3:  # the first week's month would crowd the next one's label
        months.pop(0)
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "right": CHART_WIDTH - CHART_RIGHT,
        "baseline": baseline,
        "label_y": CHART_HEIGHT - 8,
        "bars": bars,
        "months": months,
        "ticks": [
            {"value": value, "y": round(baseline - plot_height * value / top, 1)} for value in range(0, top + 1, step)
        ],
        "busiest": max(weeks, key=lambda week: (week.issued, week.start)) if weeks else None,
    }


def dashboard_context(dashboard: ConfigurationDashboard, configuration: CredentialConfiguration) -> dict[str, Any]:
    credentials = reverse("admin:learning_credentials_credential_changelist")
    return {
        "dashboard": dashboard,
        "chart": dashboard_chart(dashboard.weeks),
        "errors_url": f"{credentials}?configuration__id__exact={configuration.pk}&status__exact={Status.ERROR}",
        "credentials_url": f"{credentials}?configuration__id__exact={configuration.pk}",
        "expiring_url": f"{credentials}?configuration__id__exact={configuration.pk}&expiry=",
        "verification_channels": [
            (label, dashboard.verifications.by_channel[channel])
            for channel, label in VerificationChannel.choices
            if channel in dashboard.verifications.by_channel
        ],
    }


class LanguageTemplateForm(forms.ModelForm):
    language = forms.ChoiceField(label=_("language"), choices=language_choices)

    class Meta:
        model = LanguageTemplate
        fields = ("language", "template", "custom_options")


class LanguageTemplateInline(admin.TabularInline):
    """A PDF template per learner language; the configuration's own options are the default."""

    model = LanguageTemplate
    form = LanguageTemplateForm
    formfield_overrides = ADMIN_FORM_FIELDS  # JSON syntax errors with their line and column, as the options field
    extra = 0
    verbose_name = _("PDF template for a language")
    # How a learner's language picks a row is the language field's help text; Preview shows each row's sample.
    verbose_name_plural = _("PDF templates per language")


def interval_words(*, every: int, period: str) -> str:
    """ "every day", "every 2 days": one sentence per period with its plural forms, never the beat's raw period."""
    sentences = {
        "days": ngettext("every day", "every %(count)d days", every),
        "hours": ngettext("every hour", "every %(count)d hours", every),
        "minutes": ngettext("every minute", "every %(count)d minutes", every),
        "seconds": ngettext("every second", "every %(count)d seconds", every),
        "microseconds": ngettext("every microsecond", "every %(count)d microseconds", every),
    }
    if period not in sentences:
        return gettext("every %(count)d %(period)s") % {"count": every, "period": period}
    return sentences[period] % {"count": every}


@admin.register(CredentialConfiguration)
class CredentialConfigurationAdmin(ExportActionsMixin, PreviewMixin, admin.ModelAdmin):
    change_form_template = "learning_credentials/admin/configuration_change_form.html"
    inlines = (LanguageTemplateInline,)
    formfield_overrides = ADMIN_FORM_FIELDS
    list_display = (
        "learning_context_key",
        "credential_type",
        "enabled",
        "schedule",
        *STATUS_COUNTS,
        "failure_rate",
        "last_run",
        "last_run_duration",
    )
    list_select_related = ("credential_type",)
    list_filter = ("enabled", "credential_type", "schedule_type")
    search_fields = ("learning_context_key", "credential_type__name")
    ordering = ("learning_context_key",)
    actions = ("generate_now", "export_csv", "export_zip")
    readonly_fields = ("context_confirmation", "effective_options", "periodic_task", "recent_runs")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "learning_context_key",
                    ("context_not_created_yet", "context_confirmation"),
                    "credential_type",
                    "enabled",
                )
            },
        ),
        (_("Options"), {"fields": ("custom_options", "effective_options")}),
        (
            _("Schedule"),
            {"fields": ("schedule_type", ("interval_every", "interval_period"), "crontab", "periodic_task")},
        ),
        (
            _("Expiry and renewal"),
            {
                "fields": (
                    ("validity_period", "validity_unit"),
                    "reminder_days",
                    "renewal_instructions",
                    "renewal_requires_fresh_achievement",
                ),
                "description": _(
                    "Credentials valid for a while: each records its expiry when issued. Holders are reminded by "
                    "email; from the first reminder on, meeting the criteria again renews the credential."
                ),
            },
        ),
        (_("Recent runs"), {"fields": ("recent_runs",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[CredentialConfiguration]:
        return configurations_with_stats(super().get_queryset(request))

    @admin.display(description=_("Schedule"))
    def schedule(self, obj: CredentialConfiguration) -> str:
        if obj.schedule_type == ScheduleType.CRONTAB:
            return gettext("crontab %(crontab)s") % {"crontab": obj.crontab}
        return interval_words(every=obj.interval_every, period=obj.interval_period)

    @admin.display(description=_("failure rate"))
    def failure_rate(self, obj: CredentialConfiguration) -> str:
        """Credentials in ERROR among those not invalidated: what needs a look."""
        live = obj.available_count + obj.generating_count + obj.error_count
        return f"{100 * obj.error_count / live:.1f}%" if live else "-"

    @admin.display(description=_("Last run"), ordering="last_run_started")
    def last_run(self, obj: CredentialConfiguration) -> datetime | None:
        return obj.last_run_started

    @admin.display(description=_("Last run took"))
    def last_run_duration(self, obj: CredentialConfiguration) -> str | None:
        if obj.last_run_started is None:
            return None
        if obj.last_run_finished is None:
            return gettext("running")
        return duration_words(obj.last_run_finished - obj.last_run_started)

    @admin.display(description=_("Confirmed"))
    def context_confirmation(self, obj: CredentialConfiguration) -> str:
        """Who said the course does not exist yet, and when."""
        if not obj.context_not_created_yet or obj.context_not_created_yet_at is None:
            return "-"
        return gettext("by %(user)s on %(date)s") % {
            "user": obj.context_not_created_yet_by or gettext("a deleted user"),
            "date": date_format(timezone.localtime(obj.context_not_created_yet_at), "DATETIME_FORMAT"),
        }

    def save_model(self, request: HttpRequest, obj: CredentialConfiguration, form, change: bool) -> None:
        """Record who ticked "The course does not exist yet", and when (cleared with the tick)."""
        if "context_not_created_yet" in form.changed_data:
            ticked = obj.context_not_created_yet
            obj.context_not_created_yet_by = request.user if ticked else None
            obj.context_not_created_yet_at = timezone.now() if ticked else None
        super().save_model(request, obj, form, change)

    @admin.display(description=_("Effective options"))
    def effective_options(self, obj: CredentialConfiguration) -> str:
        """The type's defaults with this configuration's overrides merged over them, as the functions get them."""
        if obj.pk is None:
            return "-"
        return format_html("<pre>{}</pre>", json.dumps(obj.options(), indent=2, sort_keys=True))

    @admin.display(description=_("Recent runs"))
    def recent_runs(self, obj: CredentialConfiguration) -> str:
        if obj.pk is None:
            return "-"
        all_url = reverse("admin:learning_credentials_credentialrun_changelist") + f"?configuration__id__exact={obj.pk}"
        runs = [
            (run, duration_words(run.duration) if run.duration is not None else None)
            for run in obj.runs.select_related("actor")[:RECENT_RUNS]
        ]
        return _render("recent_runs.html", {"runs": runs, "all_url": all_url})

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], add=False, change=False, form_url="", obj=None
    ) -> HttpResponse:
        """A saved configuration's page opens with its latest run and its dashboard (dashboard.py has the queries)."""
        if obj is not None and obj.pk is not None:
            context["latest_run"] = self._latest_run_panel(obj)
            context["dashboard"] = _render(
                "dashboard.html", dashboard_context(configuration_dashboard(configuration=obj), obj)
            )
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def preview_arguments(self, instance: CredentialConfiguration) -> dict[str, Any]:
        return {
            "credential_type": instance.credential_type,
            "options": instance.options(),
            "context_key": instance.learning_context_key,
        }

    def preview_languages(self, instance: CredentialConfiguration) -> list[tuple[str, dict[str, Any]]]:
        """The default sample, then one per saved language template, over the form's unsaved options."""
        samples = [(gettext("Default (learners of other languages)"), {"language": settings.LANGUAGE_CODE})]
        if instance.pk is None:
            return samples
        names = dict(language_choices())
        for template in LanguageTemplate.objects.filter(configuration_id=instance.pk).order_by("language"):
            options = template.options(base=instance.options())
            samples.append(
                (names.get(template.language, template.language), {"options": options, "language": template.language})
            )
        return samples

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/generate-now/",
                self.admin_site.admin_view(self._posted_or_back(self.generate_now_view)),
                name=_url_name(self, "generate_now"),
            ),
            path(
                "<path:object_id>/generate-now/confirm/",
                self.admin_site.admin_view(self._posted_or_back(self.generate_now_confirm_view)),
                name=_url_name(self, "generate_now_confirm"),
            ),
            path(
                "<path:object_id>/generate-now/preview/<slug:preview_id>/",
                self.admin_site.admin_view(never_cache(self.generate_now_preview_view)),
                name=_url_name(self, "generate_now_preview"),
            ),
            path(
                "<path:object_id>/latest-run/",
                self.admin_site.admin_view(never_cache(self.latest_run_view)),
                name=_url_name(self, "latest_run"),
            ),
            *super().get_urls(),
        ]

    def _posted_or_back(self, view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        """A step that only a button posts: opened otherwise (reloaded, Back, a bookmark), the configuration's page."""

        @functools.wraps(view)
        def step(request: HttpRequest, object_id: str) -> HttpResponse:
            if request.method != "POST":
                return HttpResponseRedirect(reverse(f"admin:{_url_name(self, 'change')}", args=[unquote(object_id)]))
            return view(request, object_id)

        return step

    def _configuration_or_404(self, request: HttpRequest, object_id: str, *, change: bool) -> CredentialConfiguration:
        configuration = self.get_object(request, unquote(object_id))
        if configuration is None:
            raise Http404()
        allowed = self.has_change_permission if change else self.has_view_permission
        if not allowed(request, configuration):
            raise PermissionDenied
        return configuration

    def _change_url(self, configuration: CredentialConfiguration) -> str:
        return reverse(f"admin:{_url_name(self, 'change')}", args=[configuration.pk])

    def generate_now_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The change page's "Generate now" button: first what a run would do; large contexts in a task."""
        configuration = self._configuration_or_404(request, object_id, change=True)
        try:
            started = configuration_preview_start(configuration=configuration)
        except QueueUnavailable as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(self._change_url(configuration))
        if isinstance(started, RunPreview):
            return self._preview_page(request, configuration, started)
        return HttpResponseRedirect(
            reverse(f"admin:{_url_name(self, 'generate_now_preview')}", args=[configuration.pk, started])
        )

    def generate_now_preview_view(self, request: HttpRequest, object_id: str, preview_id: str) -> HttpResponse:
        """A preview task's page: its progress, refreshing itself, until the preview is ready."""
        configuration = self._configuration_or_404(request, object_id, change=True)
        state = preview_state(preview_id=preview_id)
        if state is None or state.configuration_id != configuration.pk:
            self.message_user(
                request, gettext("That preview is no longer available; press “Generate now” again."), messages.WARNING
            )
            return HttpResponseRedirect(self._change_url(configuration))
        if state.preview is None:
            return TemplateResponse(
                request,
                "learning_credentials/admin/generate_now_progress.html",
                {**self._page_context(request, configuration), "state": state},
            )
        return self._preview_page(request, configuration, state.preview)

    def _page_context(self, request: HttpRequest, configuration: CredentialConfiguration) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": configuration,
            "title": gettext("Generate now: %(configuration)s") % {"configuration": configuration},
        }

    def _preview_page(
        self, request: HttpRequest, configuration: CredentialConfiguration, preview: RunPreview
    ) -> TemplateResponse:
        return TemplateResponse(
            request,
            "learning_credentials/admin/generate_now.html",
            {**self._page_context(request, configuration), "preview": preview},
        )

    def generate_now_confirm_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Staff confirmed the preview: the real run starts, in their name; its page shows its progress."""
        configuration = self._configuration_or_404(request, object_id, change=True)
        self._queue_runs(request, [configuration])
        return HttpResponseRedirect(self._change_url(configuration))

    def latest_run_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The latest run's panel alone, for the change page to refresh while the run goes on."""
        configuration = self._configuration_or_404(request, object_id, change=False)
        return HttpResponse(self._latest_run_panel(configuration))

    def _latest_run_panel(self, configuration: CredentialConfiguration) -> str:
        run = run_latest(configuration=configuration)
        if run is None:
            return ""
        return _render(
            "latest_run.html",
            {
                "run": run,
                **run_outcome(run),
                "errors": run_error_messages(run=run) if run.finished_at else [],
                "refresh_url": reverse(f"admin:{_url_name(self, 'latest_run')}", args=[configuration.pk]),
            },
        )

    @admin.action(description=_("Generate now"), permissions=["change"])
    def generate_now(self, request: HttpRequest, queryset: QuerySet[CredentialConfiguration]) -> HttpResponse | None:
        """Previews of each selected configuration on one page; its button starts the runs."""
        if request.POST.get("confirm"):
            self._queue_runs(request, queryset)
            return None
        return TemplateResponse(
            request,
            "learning_credentials/admin/generate_now_many.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": gettext("Generate now"),
                # Inline only: None for a context too large to preview on this page (its own Generate now can).
                "previews": [
                    (configuration, configuration_preview_start(configuration=configuration, inline_only=True))
                    for configuration in queryset
                ],
                "selected": [configuration.pk for configuration in queryset],
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def _queue_runs(self, request: HttpRequest, configurations) -> None:
        """Queue a run of each configuration; a broker that is down would fail them all, so stop at the first."""
        queued = []
        for index, configuration in enumerate(configurations):
            try:
                configuration_run_queue(configuration=configuration, source=SOURCE, actor_id=request.user.pk)
            except QueueUnavailable as exc:
                not_queued = ", ".join(map(str, list(configurations)[index:]))
                self.message_user(
                    request,
                    gettext("Not queued: %(configurations)s. %(error)s")
                    % {"configurations": not_queued, "error": exc.message},
                    messages.ERROR,
                )
                break
            except LearningCredentialsError as exc:  # disabled configuration, kill switch
                self.message_user(request, f"{configuration}: {exc.message}", messages.WARNING)
            else:
                queued.append(configuration)
        if queued:
            self.message_user(
                request,
                gettext("A run was started for: %(configurations)s.") % {"configurations": ", ".join(map(str, queued))},
                messages.INFO,  # started, not yet a success: the latest run's panel says how it went
            )


# --- Credentials --------------------------------------------------------------------------------


class InvalidationReasonFilter(admin.SimpleListFilter):
    """Reason categories with their labels, the operator's extra ones included."""

    title = _("invalidation reason")
    parameter_name = "invalidation_reason"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return list(invalidation_reasons().items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Credential]) -> QuerySet[Credential]:
        return queryset.filter(invalidation_reason=self.value()) if self.value() else queryset


class ExpiryFilter(admin.SimpleListFilter):
    """Where credentials stand against their expiry dates: what staff chase before and after they pass."""

    title = _("expiry")
    parameter_name = "expiry"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        """The dashboard's horizons, so that its figures and this list agree (it links here)."""
        return [
            ("expired", _("Expired (valid until then)")),
            *(
                (
                    str(days),
                    ngettext("Valid, expiring within %(days)d day", "Valid, expiring within %(days)d days", days)
                    % {"days": days},
                )
                for days in EXPIRY_HORIZONS
            ),
            ("never", _("Never expires")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Credential]) -> QuerySet[Credential]:
        now = timezone.now()
        standing = queryset.filter(status=Status.AVAILABLE, suspended_at__isnull=True)  # the public precedence
        if self.value() == "expired":
            return standing.filter(expires_at__lte=now)
        if self.value() in {str(days) for days in EXPIRY_HORIZONS}:
            return standing.filter(expires_at__gt=now, expires_at__lte=now + timedelta(days=int(self.value())))
        if self.value() == "never":
            return queryset.filter(expires_at__isnull=True)
        return queryset


class CredentialEventInline(AppendOnlyMixin, admin.TabularInline):
    """The audit trail: what changed (status or visibility), through which path, by whom and why."""

    model = CredentialEvent
    fields = ("created", "kind", "change", "source", "actor_name", "reason", "details")
    readonly_fields = fields
    extra = 0
    verbose_name_plural = _("audit trail")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CredentialEvent]:
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("change"))
    def change(self, obj: CredentialEvent) -> str:
        """``public → private`` for a visibility change; ``available → invalidated (Refunded)`` for a transition."""
        details = obj.details or {}
        if obj.kind == CredentialEvent.Kind.VISIBILITY_CHANGED:
            labels = dict(Visibility.choices)
            return gettext("visibility: %(from)s → %(to)s") % {
                "from": labels.get(details.get("from"), details.get("from") or "-"),
                "to": labels.get(details.get("to"), details.get("to") or "-"),
            }
        if not (obj.from_status or obj.to_status):
            return "-"
        labels = dict(Status.choices)
        statuses = {
            "from": labels.get(obj.from_status, obj.from_status or "-"),
            "to": labels.get(obj.to_status, obj.to_status or "-"),
        }
        category = details.get("category")
        if category:
            reason = invalidation_reasons().get(category, category)
            return gettext("%(from)s → %(to)s (%(reason)s)") % {**statuses, "reason": reason}
        return gettext("%(from)s → %(to)s") % statuses

    @admin.display(description=_("actor"))
    def actor_name(self, obj: CredentialEvent) -> str:
        """The acting user, or the system (a schedule, an event, a webhook) when nobody acted."""
        return obj.actor.get_username() if obj.actor is not None else gettext("system")


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):
    """Credentials change only through the actions (services); the change page is for reading."""

    change_list_template = "learning_credentials/admin/credential_change_list.html"
    list_display = (
        "learner_name",
        "username",
        "type_name",
        "context",
        "status",
        "visibility",
        "created",
        "expires_at",
        "code",
    )
    list_select_related = ("user", "configuration")
    list_filter = ("status", "visibility", "configuration__credential_type", InvalidationReasonFilter, ExpiryFilter)
    search_fields = ("user__username", "learner_name", "=verify_uuid", "=uuid")
    search_help_text = _("Username, learner name, verification code or UUID.")
    actions = ("invalidate", "reissue", "renew", "retry", "suspend", "lift_suspension")
    inlines = (CredentialEventInline,)
    readonly_fields = ("code", "download", "verification_page", "replacement", "reason")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "user",
                    "configuration",
                    "status",
                    "visibility",
                    "code",
                    "download",
                    "verification_page",
                    "created",
                    "expires_at",
                )
            },
        ),
        (
            _("Snapshots taken at issue time"),
            {"fields": ("learner_name", "context_name", "type_name", "score", "language")},
        ),
        (_("Identifiers"), {"fields": ("uuid", "verify_uuid", "order_reference")}),
        (
            _("Generation"),
            {
                "fields": (
                    "attempts",
                    "task_id",
                    "artifact",
                    "template_version",
                    "error_message",
                    "notified_at",
                    "duplicate_attempts",
                    "last_duplicate_at",
                )
            },
        ),
        (
            _("Invalidation"),
            {"fields": ("invalidated_at", "reason", "invalidation_note", "replaces", "replacement")},
        ),
    )

    def has_change_permission(self, request: HttpRequest, obj: Credential | None = None) -> bool:
        """Actions need the change permission; the page of one credential is read-only."""
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Credential | None = None) -> bool:
        """Deleting would bypass the lifecycle and the audit trail; staff invalidate instead."""
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Credential], search_term: str
    ) -> tuple[QuerySet[Credential], bool]:
        """Also find a verification code as people type it: any case, with or without its hyphen."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        code = normalize_code(search_term)
        if code:
            results |= queryset.filter(verification_code=code)
        return results, may_have_duplicates

    @admin.display(description=_("username"), ordering="user__username")
    def username(self, obj: Credential) -> str:
        return obj.user.get_username() if obj.user else "-"  # the account was deleted

    @admin.display(description=_("learning context"), ordering="configuration__learning_context_key")
    def context(self, obj: Credential) -> str:
        return str(obj.configuration.learning_context_key)

    @admin.display(description=_("invalidation reason"))
    def reason(self, obj: Credential) -> str:
        """The reason's label, as the public page words it, not its stored key."""
        if not obj.invalidation_reason:
            return "-"
        return invalidation_reasons().get(obj.invalidation_reason, obj.invalidation_reason)

    def get_changelist_instance(self, request: HttpRequest):
        """The page's credentials learn their public codes in one ask, for the code column."""
        changelist = super().get_changelist_instance(request)
        public_identities_attach(changelist.result_list)
        return changelist

    @admin.display(description=_("verification code"), ordering="verification_code")
    def code(self, obj: Credential) -> str:
        """As the public page shows it (a certification's certificates share their record's code)."""
        return public_code(obj)

    @admin.display(description=_("PDF"))
    def download(self, obj: Credential) -> str:
        if not obj.artifact:
            return "-"
        url = reverse("learning_credentials:download", kwargs={"uuid": obj.pk})
        return format_html('<a href="{}">{}</a>', url, gettext("Download"))

    @admin.display(description=_("public verification page"))
    def verification_page(self, obj: Credential) -> str:
        if obj.status not in PUBLIC_STATUSES:
            return "-"
        url = reverse("learning_credentials:verify", kwargs={"verify_uuid": obj.verify_uuid})
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.display(description=_("replaced by"))
    def replacement(self, obj: Credential) -> str:
        newer = getattr(obj, "replaced_by", None)
        if newer is None:
            return "-"
        return format_html('<a href="{}">{}</a>', reverse(f"admin:{_url_name(self, 'change')}", args=[newer.pk]), newer)

    # Issuing by hand replaces the add form: the service snapshots names and audits the award.

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "issue-manually/",
                self.admin_site.admin_view(self.issue_manually_view),
                name=_url_name(self, "issue_manually"),
            ),
            *super().get_urls(),
        ]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None) -> HttpResponse:
        return HttpResponseRedirect(reverse(f"admin:{_url_name(self, 'issue_manually')}"))

    def issue_manually_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ManualIssueForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                credential, created = credential_issue_or_get(
                    user_id=form.cleaned_data["learner"].pk,
                    configuration=form.cleaned_data["configuration"],
                    source=SOURCE,
                    actor_id=request.user.pk,
                    manual=True,
                    reason=form.cleaned_data["reason"],
                )
            except LearningCredentialsError as exc:
                form.add_error(None, exc.message)
            else:
                if created:
                    self.message_user(request, gettext("The credential was issued; it is being generated."))
                else:
                    self.message_user(
                        request,
                        gettext("The learner already holds this credential; nothing changed."),
                        messages.WARNING,
                    )
                return HttpResponseRedirect(reverse(f"admin:{_url_name(self, 'change')}", args=[credential.pk]))
        return self._form_page(
            request,
            "issue_manually.html",
            form=form,
            title=gettext("Issue a credential manually"),
            submit_label=gettext("Issue"),
        )

    # Bulk actions: each credential goes through the service on its own; a refusal never stops the others.

    @admin.action(description=_("Invalidate selected credentials"), permissions=["change"])
    def invalidate(self, request: HttpRequest, queryset: QuerySet[Credential]) -> HttpResponse | None:
        return self._with_form(
            request,
            queryset,
            action="invalidate",
            form_class=InvalidateForm,
            title=lambda n: ngettext("Invalidate the credential", "Invalidate %(count)d credentials", n) % {"count": n},
            template="invalidate_action.html",
            apply=lambda credential, data: credential_invalidate(
                credential=credential,
                category=data["category"],
                note=data["note"],
                reason=data["note"],  # the audit trail's "why"; the holder never sees staff reasons
                actor_id=request.user.pk,
                source=SOURCE,
            ),
            done=lambda n: (
                ngettext("%(count)d credential invalidated.", "%(count)d credentials invalidated.", n) % {"count": n}
            ),
        )

    @admin.action(description=_("Reissue selected credentials"), permissions=["change"])
    def reissue(self, request: HttpRequest, queryset: QuerySet[Credential]) -> HttpResponse | None:
        return self._with_form(
            request,
            queryset,
            action="reissue",
            form_class=ReissueForm,
            title=lambda n: ngettext("Reissue the credential", "Reissue %(count)d credentials", n) % {"count": n},
            apply=lambda credential, data: credential_reissue(
                credential=credential, source=SOURCE, actor_id=request.user.pk, reason=data["reason"]
            ),
            done=lambda n: (
                ngettext("%(count)d credential reissued.", "%(count)d credentials reissued.", n) % {"count": n}
            ),
        )

    @admin.action(description=_("Renew selected credentials (valid again from today)"), permissions=["change"])
    def renew(self, request: HttpRequest, queryset: QuerySet[Credential]) -> HttpResponse | None:
        return self._with_form(
            request,
            queryset,
            action="renew",
            form_class=RenewForm,
            title=lambda n: ngettext("Renew the credential", "Renew %(count)d credentials", n) % {"count": n},
            apply=lambda credential, data: credential_renew(
                credential=credential, source=SOURCE, actor_id=request.user.pk, reason=data["reason"]
            ),
            done=lambda n: (
                ngettext("%(count)d credential renewed.", "%(count)d credentials renewed.", n) % {"count": n}
            ),
        )

    @admin.action(description=_("Suspend selected credentials"), permissions=["change"])
    def suspend(self, request: HttpRequest, queryset: QuerySet[Credential]) -> HttpResponse | None:
        return self._with_form(
            request,
            queryset,
            action="suspend",
            form_class=SuspendForm,
            title=lambda n: ngettext("Suspend the credential", "Suspend %(count)d credentials", n) % {"count": n},
            apply=lambda credential, data: credential_suspend(
                credential=credential, reason=data["reason"], source=SOURCE, actor_id=request.user.pk
            ),
            done=lambda n: (
                ngettext("%(count)d credential suspended.", "%(count)d credentials suspended.", n) % {"count": n}
            ),
        )

    @admin.action(description=_("Lift the suspension of selected credentials"), permissions=["change"])
    def lift_suspension(self, request: HttpRequest, queryset: QuerySet[Credential]) -> None:
        self._each(
            request,
            queryset,
            lambda credential: credential_suspension_lift(
                credential=credential, source=SOURCE, actor_id=request.user.pk
            ),
            done=lambda n: (
                ngettext("%(count)d credential is valid again.", "%(count)d credentials are valid again.", n)
                % {"count": n}
            ),
        )

    @admin.action(description=_("Retry generating selected credentials in error"), permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Credential]) -> None:
        self._each(
            request,
            queryset,
            lambda credential: credential_retry(credential=credential, source=SOURCE, actor_id=request.user.pk),
            done=lambda n: (
                ngettext(
                    "%(count)d credential sent back to generation.", "%(count)d credentials sent back to generation.", n
                )
                % {"count": n}
            ),
        )

    def _with_form(
        self,
        request: HttpRequest,
        queryset: QuerySet[Credential],
        *,
        action: str,
        form_class: type,
        title: Callable[[int], str],
        apply: Callable[[Credential, dict[str, Any]], object],
        done: Callable[[int], str],
        template: str = "credential_action.html",
    ) -> HttpResponse | None:
        """Ask for the action's input first; once it is valid, apply it to each selected credential."""
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._each(request, queryset, lambda credential: apply(credential, form.cleaned_data), done=done)
            return None
        credentials = list(queryset)
        public_identities_attach(credentials)
        return self._form_page(
            request,
            template,
            form=form,
            title=title(len(credentials)),  # "Invalidate the credential" for one, "Invalidate 3 credentials"
            submit_label=title(len(credentials)),
            selection=[(credential, public_code(credential)) for credential in credentials],
            action=action,
            action_checkbox_name=helpers.ACTION_CHECKBOX_NAME,
        )

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Credential],
        service: Callable[[Credential], object],
        *,
        done: Callable[[int], str],
    ) -> None:
        succeeded, refused = 0, []
        credentials = list(queryset)
        public_identities_attach(credentials)
        for credential in credentials:
            try:
                service(credential)
            except LearningCredentialsError as exc:
                code = public_code(credential)
                refused.append(gettext("%(code)s: %(problem)s") % {"code": code, "problem": exc.message})
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, done(succeeded), messages.SUCCESS)
        if refused:
            self.message_user(
                request, gettext("Not changed: %(refusals)s") % {"refusals": "; ".join(refused)}, messages.WARNING
            )

    def _form_page(self, request: HttpRequest, template: str, *, form, **context: Any) -> TemplateResponse:
        return form_page(self, request, f"learning_credentials/admin/{template}", form=form, **context)


# --- Assets -------------------------------------------------------------------------------------


@admin.register(CredentialAsset)
class CredentialAssetAdmin(admin.ModelAdmin):
    list_display = ("slug", "kind", "description", "modified")
    list_filter = ("kind",)
    search_fields = ("slug", "description")
    readonly_fields = ("content_hash", "template_info", "image_info")
    fields = ("slug", "kind", "description", "file", "content_hash", "template_info", "image_info")

    @admin.display(description=_("PDF template"))
    def template_info(self, obj: CredentialAsset) -> str:
        if obj.pk is None or obj.kind != CredentialAsset.Kind.PDF_TEMPLATE:
            return "-"
        try:
            with obj.file.open("rb") as file:
                info = pdf_template_info(file.read())
        except (OSError, ValueError):
            error = gettext("The file cannot be read as a PDF: it is damaged, or it changed since it was uploaded.")
            return _render("asset_info.html", {"error": error})
        return _render("asset_info.html", {"info": info})

    @admin.display(description=_("Image"))
    def image_info(self, obj: CredentialAsset) -> str:
        """Pixel size, and whether credentials draw a page-sized copy; an image stored over the limits says so."""
        if obj.pk is None or obj.kind != CredentialAsset.Kind.IMAGE:
            return "-"
        width, height = obj.width, obj.height
        if width is None:  # saved before pixel sizes were recorded: its header tells
            try:
                with obj.file.open("rb") as file:
                    width, height = image_open(file.read()).size
            except (OSError, ImageRefused) as exc:
                error = exc.reason if isinstance(exc, ImageRefused) else gettext("The image file cannot be read.")
                return _render("asset_info.html", {"error": error})
        size = {"width": width, "height": height, "megapixels": f"{width * height / 1_000_000:.3g}"}
        if obj.page_copy:
            return gettext(
                "%(width)d x %(height)d pixels (%(megapixels)s megapixels); "
                "credentials draw a copy scaled down to the page (%(name)s)"
            ) % {**size, "name": obj.page_copy.name}
        return gettext("%(width)d x %(height)d pixels (%(megapixels)s megapixels)") % size

    def save_model(self, request: HttpRequest, obj: CredentialAsset, form, change: bool) -> None:
        """A replaced file goes through the service, which decides whether the old file may be deleted."""
        if change and "file" in form.changed_data:
            asset_replace_file(asset=obj, new_file=form.cleaned_data["file"])
        else:
            obj.save()


# --- History (written by services only) ---------------------------------------------------------


@admin.register(CredentialEvent)
class CredentialEventAdmin(AppendOnlyMixin, admin.ModelAdmin):
    list_display = ("created", "credential", "kind", "from_status", "to_status", "source", "actor")
    list_select_related = ("credential", "actor")
    list_filter = ("kind", "source")
    search_fields = ("credential__verification_code", "credential__user__username", "reason")
    date_hierarchy = "created"


@admin.register(RefundEvent)
class RefundEventAdmin(AppendOnlyMixin, admin.ModelAdmin):
    """Refund webhook deliveries, written by services.refunds only; the record of what each refund did."""

    list_display = ("received_at", "event_id", "outcome", "user", "context_key", "order_reference", "refund")
    list_select_related = ("user",)
    list_filter = ("outcome", "currency")
    search_fields = ("event_id", "order_reference", "context_key", "user__username")
    date_hierarchy = "received_at"
    fields = (
        "received_at",
        "event_id",
        "outcome",
        "user",
        "context_key",
        "order_reference",
        "amount",
        "amount_refunded",
        "currency",
        "revoked",
        "payload",
    )
    readonly_fields = fields

    @admin.display(description=_("refunded"))
    def refund(self, obj: RefundEvent) -> str:
        return f"{obj.amount_refunded.normalize():f} / {obj.amount.normalize():f} {obj.currency}"

    @admin.display(description=_("revoked credentials"))
    def revoked(self, obj: RefundEvent) -> str:
        links = [
            format_html(
                '<a href="{}">{}</a>',
                reverse("admin:learning_credentials_credential_change", args=[credential.pk]),
                public_code(credential),
            )
            for credential in obj.credentials.all()
        ]
        return format_html_join(", ", "{}", ((link,) for link in links)) if links else "-"


@admin.register(CredentialRun)
class CredentialRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Never added or edited here; deletion keeps the model permission so deleting a configuration takes its runs."""

    list_display = (
        "started_at",
        "configuration",
        "source",
        "actor",
        "run_duration",
        "eligible",
        "already_held",
        "issued",
        "renewed",
        "failed",
        "retried",
        "chunks_done",
        "chunks_total",
    )
    list_select_related = ("configuration__credential_type", "actor")
    list_filter = ("source", "configuration")

    @admin.display(description=_("duration"))
    def run_duration(self, obj: CredentialRun) -> str | None:
        return duration_words(obj.duration) if obj.duration is not None else None


# --- Exports ------------------------------------------------------------------------------------


@admin.register(CredentialExport)
class CredentialExportAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Staff exports with their progress and download links; started here (a context) or on a configuration."""

    change_list_template = "learning_credentials/admin/export_change_list.html"
    list_display = ("created", "scope", "format", "status", "download", "progress", "requested_by", "link_expires")
    list_select_related = ("configuration__credential_type", "requested_by")
    list_filter = ("status", "format")
    fields = (
        "scope",
        "format",
        "include_email",
        "status",
        "progress",
        "missing_files",
        "requested_by",
        "created",
        "finished_at",
        "link_expires",
        "download",
        "error",
    )
    readonly_fields = fields

    def get_fields(self, request: HttpRequest, obj: CredentialExport | None = None) -> tuple[str, ...]:
        """Email addresses are a CSV column: a ZIP of PDFs has none to include."""
        if obj is not None and obj.format == CredentialExport.Format.ZIP:
            return tuple(name for name in self.fields if name != "include_email")
        return self.fields

    @admin.display(description=_("download link expires"), ordering="expires_at")
    def link_expires(self, obj: CredentialExport) -> Any:
        """When the file is deleted: not the credentials' expiry, which the export's rows carry."""
        return obj.expires_at or "-"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may_export(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return user_may_export(request.user) or super().has_module_permission(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may_export(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Files go when their link expires (or a learner is retired); rows stay as the record of who exported."""
        return False

    @admin.display(description=pgettext_lazy("what an export holds", "what"))
    def scope(self, obj: CredentialExport) -> str:
        if obj.configuration_id:
            return str(obj.configuration)
        return gettext("every credential in %(context)s") % {"context": obj.context_key}

    @admin.display(description=_("progress"))
    def progress(self, obj: CredentialExport) -> str:
        percent = f" ({100 * obj.done // obj.total}%)" if obj.total else ""
        return f"{obj.done} / {obj.total}{percent}"

    @admin.display(description=_("file"))
    def download(self, obj: CredentialExport) -> str:
        if obj.status != CredentialExport.State.READY:
            return "-"
        url = reverse(f"admin:{_url_name(self, 'download')}", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Download"))

    def changelist_view(self, request: HttpRequest, extra_context=None):
        running = CredentialExport.objects.filter(
            status__in=(CredentialExport.State.QUEUED, CredentialExport.State.RUNNING)
        ).exists()
        return super().changelist_view(request, {**(extra_context or {}), "exports_running": running})

    def get_urls(self) -> list[URLPattern]:
        return [
            # Not admin_view: a learner gets a 404 here, not the admin's login form.
            path("<path:object_id>/download/", never_cache(self.download_view), name=_url_name(self, "download")),
            *super().get_urls(),
        ]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None) -> HttpResponse:
        """A form for an export of a context or of one configuration."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ExportForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                credential_export_start(
                    user=request.user,
                    configuration=form.cleaned_data["configuration"],
                    context_key=form.cleaned_data["context_key"],
                    format=form.cleaned_data["format"],
                )
            except LearningCredentialsError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, gettext(EXPORT_QUEUED), messages.SUCCESS)
                return HttpResponseRedirect(reverse(f"admin:{_url_name(self, 'changelist')}"))
        return form_page(
            self,
            request,
            "learning_credentials/admin/export_form.html",
            form=form,
            title=gettext("Export credentials"),
            submit_label=gettext("Export"),
        )

    def _download_refused(self, request: HttpRequest, message: str, *, status: int) -> HttpResponse:
        """Why a download cannot happen, in words on an admin page, not a bare status page."""
        return TemplateResponse(
            request,
            "learning_credentials/admin/export_message.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": gettext("This export cannot be downloaded"),
                "message": message,
            },
            status=status,
        )

    def download_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The file, streamed: staff with the export permission only; an expired link says so (410)."""
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not request.user.is_staff:
            raise Http404()
        try:
            export, handle = credential_export_open(export_id=object_id, user=request.user)
        except ObjectNotFound:
            raise Http404() from None
        except AccessDenied:
            return self._download_refused(
                request,
                gettext(
                    "You may not download exports: they hold every learner's name and email. Ask an administrator "
                    "for the permission “%(permission)s”."
                )
                % {"permission": dict(CredentialExport._meta.permissions)["export_credentials"]},
                status=403,
            )
        except ExportUnavailable as exc:
            return self._download_refused(request, exc.message, status=410 if isinstance(exc, ExportExpired) else 409)
        content_type = "text/csv; charset=utf-8" if export.format == CredentialExport.Format.CSV else "application/zip"
        return FileResponse(
            handle, as_attachment=True, filename=export_download_name(export), content_type=content_type
        )

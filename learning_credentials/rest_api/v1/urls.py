from django.apps import apps
from django.urls import include, path

from ..schema import SchemaView
from . import configurations, counts, learner, progress, views, webhooks

urlpatterns = [
    path("metadata/<path:verify_uuid>/", views.MetadataView.as_view(), name="api-v1-metadata"),
    path("verify/<path:code>/", views.VerifyCodeView.as_view(), name="api-v1-verify"),
    path("credentials/", views.CredentialListView.as_view(), name="api-v1-credentials"),
    path("eligibility/<str:context_key>/", learner.EligibilityView.as_view(), name="api-v1-eligibility"),
    path("eligibility/<str:context_key>/<slug:type_key>/", learner.OnDemandView.as_view(), name="api-v1-on-demand"),
    path("credentials/<str:uuid>/reissue/", learner.NameChangeReissueView.as_view(), name="api-v1-reissue"),
    path("credentials/<str:uuid>/events/", learner.CredentialEventsView.as_view(), name="api-v1-credential-events"),
    path("credentials/<path:uuid>/", views.CredentialDetailView.as_view(), name="api-v1-credential"),
    path("progress/", progress.ProgressView.as_view(), name="api-v1-progress"),
    path("configurations/", configurations.ConfigurationListView.as_view(), name="api-v1-configurations"),
    path(
        "configurations/<str:configuration_id>/preview/",
        configurations.ConfigurationPreviewView.as_view(),
        name="api-v1-configuration-preview",
    ),
    path(
        "verification-counts/<str:context_key>/",
        counts.VerificationCountsView.as_view(),
        name="api-v1-verification-counts",
    ),
    path("webhooks/refund/", webhooks.RefundWebhookView.as_view(), name="api-v1-refund-webhook"),
]
# The schema describes every pattern of this list, including those appended below.
urlpatterns.append(path("schema/", SchemaView.as_view(api_patterns=urlpatterns), name="api-v1-schema"))

# The optional sub-apps' routes, while they are installed.
if apps.is_installed("learning_credentials.credits"):  # continuing-education credits
    urlpatterns.append(path("", include("learning_credentials.credits.rest_api.urls")))
if apps.is_installed("learning_credentials.exams"):  # certification exams
    urlpatterns.append(path("", include("learning_credentials.exams.rest_api.urls")))
if apps.is_installed("learning_credentials.open_badges"):  # the Open Badges verifier
    urlpatterns.append(path("", include("learning_credentials.open_badges.rest_api.urls")))

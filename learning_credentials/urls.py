"""URLs of learning_credentials: public pages and the REST API (mount at the site root)."""

from django.apps import apps
from django.urls import include, path, re_path

from . import learner_views, views
from .rest_api.schema import API_PREFIX, API_ROOT
from .rest_api.v1 import views as api_views

app_name = "learning_credentials"

urlpatterns = [
    path("learning_credentials/verify/<str:verify_uuid>/credential.pdf", views.verify_pdf, name="verify-pdf"),
    re_path(
        r"^learning_credentials/verify/(?P<verify_uuid>[^/]+)/image\.(?P<extension>png|jpg)$",
        views.verify_image,
        name="verify-image",
    ),
    path("learning_credentials/verify/", views.verify_lookup, name="verify-lookup"),
    path("learning_credentials/verify/code/<path:code>/", views.verify_code, name="verify-code"),
    # The short link the PDF's QR code encodes (no trailing slash: every character makes the code denser).
    path("learning_credentials/v/<str:code>", views.verify_short, name="verify-short"),
    path("learning_credentials/verify/<path:verify_uuid>/", views.verify_page, name="verify"),
    path("learning_credentials/credentials/<str:uuid>/download/", views.credential_download, name="download"),
    path("learning_credentials/credentials/", learner_views.credential_list, name="learner-credentials"),
    path("learning_credentials/credentials/<str:uuid>/", learner_views.credential_detail, name="learner-credential"),
    path(
        "learning_credentials/credentials/<str:uuid>/visibility/",
        learner_views.credential_visibility,
        name="learner-visibility",
    ),
    path(
        "learning_credentials/credentials/<str:uuid>/counting/",
        learner_views.credential_counting,
        name="learner-counting",
    ),
    path(
        "learning_credentials/credentials/<str:uuid>/reissue/", learner_views.credential_reissue, name="learner-reissue"
    ),
    path(
        "learning_credentials/courses/<str:context_key>/<slug:type_key>/certificate/",
        views.credential_on_demand,
        name="on-demand-certificate",
    ),
    path(API_PREFIX, include("learning_credentials.rest_api.v1.urls")),
    # Last: any other path of the API (a typo, another version) gets the API's JSON 404.
    re_path(rf"^{API_ROOT}(?P<path>.*)$", api_views.unmatched, name="api-unmatched"),
]

# The optional sub-apps' pages, while they are installed.
if apps.is_installed("learning_credentials.exams"):  # the learner's certification pages
    urlpatterns.append(path("", include("learning_credentials.exams.urls")))
if apps.is_installed("learning_credentials.open_badges"):  # the issuers' profiles, DID documents and keys
    urlpatterns.append(path("", include("learning_credentials.open_badges.urls")))

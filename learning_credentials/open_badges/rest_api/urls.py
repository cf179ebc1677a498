"""Open Badges API routes, included into /api/learning_credentials/v1/ only when the sub-app is installed."""

from django.urls import path

from . import views

urlpatterns = [
    path("open-badges/verify/", views.VerifyView.as_view(), name="api-v1-open-badges-verify"),
]

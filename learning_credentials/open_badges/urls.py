"""The issuers' public documents, included into the core's URLs only when the sub-app is installed."""

from django.urls import path

from . import views

urlpatterns = [
    path("learning_credentials/issuers/<slug:slug>/", views.issuer_profile_view, name="open-badges-issuer"),
    path("learning_credentials/issuers/<slug:slug>/did.json", views.issuer_did_view, name="open-badges-issuer-did"),
    path("learning_credentials/issuers/<slug:slug>/jwks.json", views.issuer_jwks_view, name="open-badges-issuer-jwks"),
]

"""The issuers' public documents and status lists, included into the core's URLs only when the sub-app is installed."""

from django.urls import path

from . import views

urlpatterns = [
    path("learning_credentials/check-file/", views.check_file_view, name="open-badges-check-file"),
    path("learning_credentials/verify/<str:verify_uuid>/ob3.json", views.credential_ob3_view, name="open-badges-ob3"),
    path("learning_credentials/verify/<str:verify_uuid>/ob3.jwt", views.credential_jwt_view, name="open-badges-jwt"),
    path("learning_credentials/issuers/<slug:slug>/", views.issuer_profile_view, name="open-badges-issuer"),
    path("learning_credentials/issuers/<slug:slug>/did.json", views.issuer_did_view, name="open-badges-issuer-did"),
    path("learning_credentials/issuers/<slug:slug>/jwks.json", views.issuer_jwks_view, name="open-badges-issuer-jwks"),
    path("learning_credentials/status/<str:list_id>/", views.status_list_view, name="open-badges-status"),
    path("learning_credentials/status/<str:list_id>.jwt", views.status_list_jwt_view, name="open-badges-status-jwt"),
]

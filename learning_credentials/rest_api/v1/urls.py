from django.urls import path

from . import views

urlpatterns = [
    path("metadata/<path:verify_uuid>/", views.MetadataView.as_view(), name="api-v1-metadata"),
    path("credentials/", views.CredentialListView.as_view(), name="api-v1-credentials"),
    path("credentials/<path:uuid>/", views.CredentialDetailView.as_view(), name="api-v1-credential"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("metadata/<str:verify_uuid>/", views.MetadataView.as_view(), name="api-v1-metadata"),
    path("credentials/", views.CredentialListView.as_view(), name="api-v1-credentials"),
    path("credentials/<str:uuid>/", views.CredentialDetailView.as_view(), name="api-v1-credential"),
]

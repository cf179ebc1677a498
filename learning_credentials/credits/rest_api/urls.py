"""Credits API routes, included into /api/learning_credentials/v1/ only when the sub-app is installed."""

from django.urls import path

from . import views

urlpatterns = [
    path("credits/", views.CreditListView.as_view(), name="api-v1-credits"),
    path("credits/report/<str:context_key>/", views.CreditReportView.as_view(), name="api-v1-credits-report"),
    path(
        "credits/report/<str:context_key>/csv/", views.CreditReportCsvView.as_view(), name="api-v1-credits-report-csv"
    ),
    path("summary/", views.SummaryView.as_view(), name="api-v1-summary"),
    path("catalog/credentials/", views.CatalogView.as_view(), name="api-v1-catalog-credentials"),
]

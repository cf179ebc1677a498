"""Certification routes, included into /api/learning_credentials/v1/ only when the sub-app is installed."""

from django.urls import path

from . import views

urlpatterns = [
    path("certification/", views.CertificationStatusListView.as_view(), name="api-v1-certification-list"),
    path("certification/attempts/<str:attempt_id>/", views.AttemptView.as_view(), name="api-v1-certification-attempt"),
    path(
        "certification/attempts/<str:attempt_id>/answer/",
        views.AnswerView.as_view(),
        name="api-v1-certification-attempt-answer",
    ),
    path(
        "certification/attempts/<str:attempt_id>/submit/",
        views.SubmitView.as_view(),
        name="api-v1-certification-attempt-submit",
    ),
    path(
        "certification/attempts/<str:attempt_id>/discard/",
        views.DiscardView.as_view(),
        name="api-v1-certification-attempt-discard",
    ),
    path(
        "certification/<str:context_key>/attempts/",
        views.AttemptStartView.as_view(),
        name="api-v1-certification-attempts",
    ),
    path("certification/<str:context_key>/", views.CertificationStatusView.as_view(), name="api-v1-certification"),
    path(
        "certification/<str:context_key>/redeem-points/",
        views.RedeemPointsView.as_view(),
        name="api-v1-certification-redeem-points",
    ),
    path(
        "certification/<str:context_key>/purchase/",
        views.PurchaseView.as_view(),
        name="api-v1-certification-purchase",
    ),
    path("webhooks/payment/", views.PaymentWebhookView.as_view(), name="api-v1-payment-webhook"),
]

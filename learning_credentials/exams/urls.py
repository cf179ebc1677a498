"""The learner's certification pages, included into the core's URLs only when the sub-app is installed."""

from django.urls import path

from . import views

urlpatterns = [
    path("learning_credentials/certification/", views.certification_courses, name="certification-courses"),
    path(
        "learning_credentials/certification/<str:context_key>/",
        views.certification_course,
        name="certification-course",
    ),
    path(
        "learning_credentials/certification/<str:context_key>/exam/",
        views.certification_exam,
        name="certification-exam",
    ),
    path(
        "learning_credentials/certification/<str:context_key>/exam/<uuid:attempt_id>/",
        views.certification_exam_result,
        name="certification-exam-result",
    ),
]

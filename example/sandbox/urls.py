"""URLs of the sandbox host: the admin, a login page, a fake checkout, and learning_credentials' pages and API."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from sandbox.lms import views as lms_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("checkout/<str:context_key>/", lms_views.checkout, name="checkout"),
    path("", include(("learning_credentials.urls", "learning_credentials"), namespace="learning_credentials")),
    # Serves generated artifacts in DEBUG only; static() returns nothing otherwise.
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
]

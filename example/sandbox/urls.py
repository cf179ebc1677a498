"""URLs of the sandbox host: a home page, the admin, a login page, a fake checkout, and learning_credentials' pages.

Static files and media (the credentials' PDFs) are served by Django whatever DEBUG says: the sandbox
is a demo run with `make serve`, not a production site, which serves them from its web server or storage.
"""

import re

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.staticfiles.views import serve as serve_static
from django.urls import include, path, re_path

from sandbox.lms import views as lms_views

urlpatterns = [
    path("", lms_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("checkout/<str:context_key>/", lms_views.checkout, name="checkout"),
    path("", include(("learning_credentials.urls", "learning_credentials"), namespace="learning_credentials")),
    re_path(rf"^{re.escape(settings.STATIC_URL.lstrip('/'))}(?P<path>.*)$", serve_static, {"insecure": True}),
    re_path(rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$", lms_views.media),
]

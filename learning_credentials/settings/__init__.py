"""Open edX plugin settings (edx-django-utils ``settings_config``): one module per settings type."""

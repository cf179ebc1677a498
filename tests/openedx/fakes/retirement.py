"""Stand-in for openedx.core.djangoapps.user_api.accounts.signals: the retirement pipeline's two signals.

As openedx-platform defines them (openedx/core/djangoapps/user_api/accounts/signals.py, commit
e57a655d77b614f19223984e9805b1fb940ab192): plain Django signals, sent with ``sender`` and ``user``
(USER_RETIRE_LMS_CRITICAL also documents ``retired_username`` and ``retired_email``).
"""

from django.dispatch import Signal

USER_RETIRE_LMS_CRITICAL = Signal()
USER_RETIRE_LMS_MISC = Signal()

"""Open Badges 3.0: every credential as a signed, independently verifiable document (optional sub-app).

Built like the credits and exams sub-apps: the core never imports it. ``status_list`` and
``signing`` are pure (bytes and JSON in, bytes and JSON out), so the standards' known-answer
tests run without a database.
"""

"""REST API of the credits sub-app (v1), mounted under /api/learning_credentials/v1/ when it is installed."""

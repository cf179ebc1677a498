"""The certification API: /api/learning_credentials/v1/certification/, mounted only while the sub-app is installed."""

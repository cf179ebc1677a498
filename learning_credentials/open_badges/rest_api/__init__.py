"""REST API of the Open Badges sub-app (v1): the public verifier, mounted under /api/learning_credentials/v1/."""

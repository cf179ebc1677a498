"""learning_paths' tables for the test suite, from its installed models (see tests.settings)."""

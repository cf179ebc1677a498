"""The learning-paths plugin's schema for the test suite (see tests.settings)."""

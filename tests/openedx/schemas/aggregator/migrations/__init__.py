"""completion_aggregator's schema for the test suite, from its installed models (see tests.settings)."""

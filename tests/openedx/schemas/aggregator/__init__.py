"""The completion aggregator's schema for the test suite (see tests.settings)."""

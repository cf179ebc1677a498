"""Schemas of the Open edX plugins for the tests: one migration each, made from the installed models."""

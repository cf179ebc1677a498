"""Credentials (certificates, badges) for Open edX and other Django learning platforms."""

__version__ = "0.1.0"

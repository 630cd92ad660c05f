"""Test helpers for adapter authors: pytest fixtures and the conformance suite."""

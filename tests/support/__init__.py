"""Helpers shared by tests that start other processes (importable by those processes too)."""

"""Presentation: reader-facing names and formatters, tables and figures."""

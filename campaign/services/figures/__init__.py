"""Headline figures: what the campaign shows, and staff changes to it."""

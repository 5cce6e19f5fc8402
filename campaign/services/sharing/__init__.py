"""Sharing campaign pages: share links and share card pictures."""

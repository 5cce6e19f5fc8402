"""Admin views for the campaign's X account (added with the sharing feature)."""

"""Admin views for pledge moderation (added with the pledge feature)."""

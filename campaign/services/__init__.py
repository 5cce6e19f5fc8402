"""The site's rules, as plain functions over plain values and the database session."""

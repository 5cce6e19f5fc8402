"""The `flask` command groups each part of the site adds."""

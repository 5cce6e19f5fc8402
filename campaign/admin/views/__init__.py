"""Staff area views, one module per admin section; `common` holds the helpers they share."""

"""Staff area forms, one module per admin section; the field classes they share are in `fields`."""

"""A lead's data on request: everything stored about one lead, handed over or erased."""

"""One module per connected system, each with the same shape (see ``feeds.base``)."""

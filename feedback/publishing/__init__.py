"""Publishing: instrument versions become immutable rows the first time they are used."""

"""Data hub: the declarative tape schema, readers, validation and the demo portfolio generator."""

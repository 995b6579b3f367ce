"""Risk analytics: classification, hidden-NPL detection, migration, supervisory metrics, early warning."""

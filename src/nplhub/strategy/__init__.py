"""Disposal strategy: eligibility, portfolio optimisation, packaging, the case workflow."""

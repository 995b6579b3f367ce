"""Valuation and recovery: collateral, cash flows per disposal route, recovery models, NPV."""

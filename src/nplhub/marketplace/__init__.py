"""Marketplace: listings, staged disclosure, investors, deposits, auctions, matching, settlement."""

"""NPL securitization: deal specs, recovery projection, waterfall, sizing, pricing, Monte Carlo."""

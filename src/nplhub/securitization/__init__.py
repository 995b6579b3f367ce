"""NPL securitization: deal specs, recovery projection, waterfall, sizing, pricing, Monte Carlo."""

from nplhub.securitization.deal import Deal
from nplhub.securitization.montecarlo import DealMonteCarlo, ShockModel
from nplhub.securitization.projection import LoanRecoveries, Stress
from nplhub.securitization.report import WaterfallReport, run_waterfall
from nplhub.securitization.waterfall import PeriodInputs, simulate

__all__ = ["Deal", "DealMonteCarlo", "LoanRecoveries", "PeriodInputs", "ShockModel", "Stress",
           "WaterfallReport", "run_waterfall", "simulate"]

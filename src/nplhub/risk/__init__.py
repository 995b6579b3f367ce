"""Risk analytics: classification, hidden-NPL detection, migration, supervisory metrics, early warning."""

from nplhub.risk.aalen_johansen import AalenJohansenEstimator
from nplhub.risk.classify import ClassificationResult, classify
from nplhub.risk.hidden import HiddenNplResult, detect_hidden_npl
from nplhub.risk.history import StateHistory, history_from_loan_states, state_history
from nplhub.risk.metrics import book_ratios, concentration, supervisory_metrics
from nplhub.risk.migration import CohortEstimator
from nplhub.risk.rates import migration_rates, roll_rates
from nplhub.risk.rules import RuleSet, load_ruleset
from nplhub.risk.warning import EarlyWarningModel, build_panel

__all__ = [
    "AalenJohansenEstimator", "ClassificationResult", "CohortEstimator", "EarlyWarningModel", "HiddenNplResult",
    "RuleSet", "StateHistory", "book_ratios", "build_panel", "classify", "concentration", "detect_hidden_npl",
    "history_from_loan_states", "load_ruleset", "migration_rates", "roll_rates", "state_history",
    "supervisory_metrics",
]

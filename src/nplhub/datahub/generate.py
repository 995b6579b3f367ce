"""The demo portfolio generator: a realistic regional-bank loan book with known ground truth.

    tape = generate_tape(loans=5000, seed=20240601)
    write_tape(tape, "var/demo-tape", fmt="csv")
    tape.truth.migration_matrix        # the monthly matrix behind loan_states
    tape.truth.hidden_npl              # loans whose NPL was concealed by extension / 借新还旧

Every table of the data-tape spec is filled with the spec's English column names and codes.
The calibration and its sources are in docs/demo-portfolio.md.
"""

from __future__ import annotations

from datetime import date

from nplhub.datahub.generator.build import TABLE_ORDER, build_tape
from nplhub.datahub.generator.calibration import CLASSES, MIGRATION_MATRIX, ROUTES
from nplhub.datahub.generator.truth import Tape, Truth
from nplhub.datahub.generator.writer import FORMATS, flat_loan_list, write_tape

DEFAULT_CUTOFF = date(2025, 12, 31)

__all__ = [
    "CLASSES", "DEFAULT_CUTOFF", "FORMATS", "MIGRATION_MATRIX", "ROUTES", "TABLE_ORDER", "Tape", "Truth",
    "flat_loan_list", "generate_tape", "write_tape",
]


def generate_tape(loans: int, seed: int, cutoff: date = DEFAULT_CUTOFF, history: bool = True) -> Tape:
    """Generate a tape of `loans` loans; the same seed gives the same tape.

    `history=False` leaves out the two big monthly tables (loan_states, repayments), for the
    million-loan import benchmark; every other table is still filled.
    """
    return build_tape(loans=loans, seed=seed, cutoff=cutoff, history=history)

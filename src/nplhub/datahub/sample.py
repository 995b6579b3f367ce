"""A small hand-made tape that fills every table: the fixture of the tests and the docs' example.

Ids carry valid check digits (a GB 32100 credit code and a GB 11643 identity number built from
their first 17 characters), dates are in order, and every reference resolves.
"""

from __future__ import annotations

import pandas as pd

from nplhub.datahub.checkdigits import resident_check_char, uscc_check_char

SAMPLE_META: dict[str, str] = {
    "portfolio_id": "SAMPLE-01",
    "portfolio_name": "样例资产包 Sample pool",
    "cutoff_date": "2024-06-30",
    "reporting_date": "2024-07-15",
    "currency": "CNY",
    "seller": "示例农商银行",
}


def uscc(first17: str) -> str:
    return first17 + uscc_check_char(first17)


def resident_id(first17: str) -> str:
    return first17 + resident_check_char(first17)


def sample_tables() -> dict[str, pd.DataFrame]:
    """Every table of the contract, as text cells (the way a CSV tape holds them)."""
    t: dict[str, pd.DataFrame] = {}
    t["counterparties"] = pd.DataFrame({
        "counterparty_id": ["C001", "C002", "C003"],
        "name": ["华东机械制造有限公司", "鑫隆商贸有限公司", "张三"],
        "id_number": [uscc("91320500MA1MXXXX0"), uscc("91330100MA27YYYY1"), resident_id("11010519491231002")],
        "counterparty_type": ["corporate", "sme", "individual"],
        "industry": ["C", "F", None],
        "region": ["320500", "330100", "110105"],
        "annual_revenue": ["120000000.00", "8000000", None],
        "total_assets": ["300000000", "5000000.50", None],
        "total_liabilities": ["250000000", "4000000", None],
        "employees": ["850", "23", None],
        "internal_rating": ["BB", "B", None],
        "insolvency_status": ["none", "restructuring", None],
        "phone": [None, "0571-88888888", "13800000000"],
        "address": ["苏州市工业园区", "杭州市上城区", "北京市西城区"],
    })
    t["loans"] = pd.DataFrame({
        "loan_id": ["L001", "L002", "L003", "L004"],
        "counterparty_id": ["C001", "C001", "C002", "C003"],
        "product": ["working_capital", "fixed_asset", "trade_finance", "mortgage"],
        "currency": ["CNY", "CNY", "CNY", "CNY"],
        "origination_date": ["2021-03-15", "2019-08-01", "2022-11-20", "2018-05-10"],
        "maturity_date": ["2024-03-15", "2026-08-01", "2023-11-20", "2038-05-10"],
        "original_principal": ["5000000.00", "20000000.00", "3000000.00", "1200000.00"],
        "outstanding_principal": ["4800000.00", "15000000.00", "2950000.00", "980000.00"],
        "accrued_interest": ["210000.00", "0", "180000.00", "12000.00"],
        "penalty_interest": ["35000.00", None, "40000.00", None],
        "fees": [None, None, "5000.00", None],
        "interest_rate": ["0.0435", "4.9%", "0.055", "0.0465"],
        "repayment_method": ["bullet", "equal_principal", "interest_only", "equal_instalment"],
        "days_past_due": ["107", "0", "224", "35"],
        "reported_class": ["substandard", "normal", "doubtful", "special_mention"],
        "provision": ["1200000.00", "300000.00", "1500000.00", "50000.00"],
        "branch_id": ["B-SZ-01", "B-SZ-01", "B-HZ-02", "B-BJ-03"],
        "extension_count": ["1", "0", "0", "0"],
        "last_extension_date": ["2023-03-10", None, None, None],
        "restructured": ["false", "false", "true", "false"],
        "restructure_date": [None, None, "2023-12-01", None],
        "legal_status": ["litigation", "none", "enforcement", "demand_letter"],
        "default_date": ["2024-03-15", None, "2023-11-20", None],
        "written_off": ["false", "false", "false", "false"],
    })
    t["collateral"] = pd.DataFrame({
        "collateral_id": ["K001", "K002"],
        "collateral_type": ["industrial", "residential"],
        "region": ["320500", "110105"],
        "address": ["苏州市工业园区某厂房", "北京市西城区某小区"],
        "area_sqm": ["5200.5", "89.3"],
        "appraisal_value": ["18000000.00", "3100000.00"],
        "appraisal_date": ["2023-12-31", "2022-05-10"],
        "appraisal_source": ["external", "internal"],
        "lien_rank": ["1", "1"],
        "prior_claims": ["0", "0"],
        "occupancy": ["owner", "owner"],
        "status": ["seized", "held"],
    })
    t["loan_collateral"] = pd.DataFrame({
        "loan_id": ["L001", "L002", "L004"],
        "collateral_id": ["K001", "K001", "K002"],
        "allocated_amount": ["5000000.00", "13000000.00", "1200000.00"],
    })
    t["guarantees"] = pd.DataFrame({
        "guarantee_id": ["G001"], "loan_id": ["L003"], "guarantor_counterparty_id": ["C001"],
        "guarantor_name": [None], "guarantee_type": ["corporate"], "amount": ["3000000.00"],
        "guarantor_rating": ["BB"],
    })
    t["enforcement"] = pd.DataFrame({
        "case_id": ["(2024)苏05执123号"], "loan_id": ["L001"], "collateral_id": ["K001"], "stage": ["auction_1"],
        "court": ["苏州市中级人民法院"], "filed_date": ["2024-04-01"], "judgment_date": ["2024-05-20"],
        "appraisal_value": ["17500000.00"], "reference_price": ["17500000.00"], "auction_round": ["1"],
        "start_price": ["12250000.00"], "failed_auctions": ["0"], "sale_price": [None], "sale_date": [None],
        "costs": ["85000.00"],
    })
    t["forbearance"] = pd.DataFrame({
        "loan_id": ["L001", "L003"], "event_date": ["2023-03-10", "2023-12-01"],
        "measure": ["extension", "capitalisation"], "new_maturity_date": ["2024-03-15", None],
        "amount": ["5000000.00", "150000.00"],
    })
    t["repayments"] = pd.DataFrame({
        "loan_id": ["L001", "L001", "L004"], "month": ["2024-04", "2024-05", "2024-05"],
        "amount_due": ["18125.00", "18125.00", "7300.00"], "amount_paid": ["0", "0", "7300.00"],
        "source": ["borrower", "borrower", "borrower"],
    })
    t["loan_states"] = pd.DataFrame({
        "loan_id": ["L001", "L001", "L003"], "as_of_date": ["2024-04-30", "2024-05-31", "2024-05-31"],
        "class": ["special_mention", "substandard", "doubtful"], "days_past_due": ["46", "77", "193"],
        "outstanding_principal": ["4800000.00", "4800000.00", "2950000.00"],
        "provision": ["150000.00", "1000000.00", "1400000.00"],
    })
    t["disposals"] = pd.DataFrame({
        "loan_id": ["L003"], "route": ["judicial_auction"], "start_date": ["2024-01-15"], "end_date": [None],
        "exposure_at_start": ["3170000.00"], "gross_recovery": [None], "costs": [None], "buyer_type": [None],
    })
    t["price_index"] = pd.DataFrame({
        "region": ["320500", "320500", "110105"], "property_type": ["industrial", "industrial", "residential"],
        "month": ["2024-05", "2024-06", "2024-06"], "index": ["96.4", "95.8", "103.2"],
    })
    return t

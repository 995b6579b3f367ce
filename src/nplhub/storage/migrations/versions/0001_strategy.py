"""strategy: disposal plans, assignments, sale packages, approval tiers, cases and their transitions

Revision ID: 0001_strategy
Revises: 0001_datahub
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_strategy"
down_revision = "0001_datahub"
branch_labels = ("strategy",)
depends_on = None


def upgrade() -> None:
    op.create_table('strategy_approval_tiers',
    sa.Column('role', sa.String(length=60), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('max_amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('routes', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('role', name=op.f('pk_strategy_approval_tiers'))
    )
    op.create_table('strategy_plans',
    sa.Column('plan_id', sa.String(length=40), nullable=False),
    sa.Column('snapshot_id', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('method', sa.String(length=80), nullable=False),
    sa.Column('objective_npv', sa.Float(), nullable=False),
    sa.Column('unconstrained_npv', sa.Float(), nullable=False),
    sa.Column('gap', sa.Float(), nullable=False),
    sa.Column('loans', sa.Integer(), nullable=False),
    sa.Column('constraints', sa.JSON(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('plan_id', name=op.f('pk_strategy_plans'))
    )
    op.create_index(op.f('ix_strategy_plans_snapshot_id'), 'strategy_plans', ['snapshot_id'], unique=False)
    op.create_table('strategy_assignments',
    sa.Column('plan_id', sa.String(length=40), nullable=False),
    sa.Column('loan_id', sa.String(length=64), nullable=False),
    sa.Column('route', sa.String(length=30), nullable=False),
    sa.Column('npv', sa.Float(), nullable=False),
    sa.Column('claim', sa.Float(), nullable=False),
    sa.Column('balance', sa.Float(), nullable=True),
    sa.Column('branch_id', sa.String(length=64), nullable=True),
    sa.Column('province', sa.String(length=6), nullable=True),
    sa.Column('collateral_class', sa.String(length=30), nullable=True),
    sa.Column('size_band', sa.String(length=10), nullable=True),
    sa.Column('channel', sa.String(length=40), nullable=True),
    sa.Column('package_group', sa.String(length=200), nullable=True),
    sa.Column('gross_recovery', sa.Float(), nullable=True),
    sa.Column('costs', sa.Float(), nullable=True),
    sa.Column('months_to_recovery', sa.Float(), nullable=True),
    sa.Column('p10', sa.Float(), nullable=True),
    sa.Column('p50', sa.Float(), nullable=True),
    sa.Column('p90', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['strategy_plans.plan_id'], name=op.f('fk_strategy_assignments_plan_id_strategy_plans')),
    sa.PrimaryKeyConstraint('plan_id', 'loan_id', name=op.f('pk_strategy_assignments'))
    )
    op.create_table('strategy_cases',
    sa.Column('case_id', sa.String(length=40), nullable=False),
    sa.Column('plan_id', sa.String(length=40), nullable=False),
    sa.Column('loan_id', sa.String(length=64), nullable=False),
    sa.Column('route', sa.String(length=30), nullable=False),
    sa.Column('branch_id', sa.String(length=64), nullable=False),
    sa.Column('officer', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('claim', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('planned_recovery', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('actual_recovery', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('planned_close', sa.Date(), nullable=False),
    sa.Column('observation_start', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['strategy_plans.plan_id'], name=op.f('fk_strategy_cases_plan_id_strategy_plans')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_strategy_cases'))
    )
    op.create_index('ix_strategy_cases_loan', 'strategy_cases', ['loan_id'], unique=False)
    op.create_index('ix_strategy_cases_state', 'strategy_cases', ['state'], unique=False)
    op.create_table('strategy_packages',
    sa.Column('plan_id', sa.String(length=40), nullable=False),
    sa.Column('package_id', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('province', sa.String(length=10), nullable=True),
    sa.Column('collateral_class', sa.String(length=30), nullable=True),
    sa.Column('size_band', sa.String(length=10), nullable=True),
    sa.Column('accounts', sa.Integer(), nullable=False),
    sa.Column('claim', sa.Float(), nullable=False),
    sa.Column('expected_price', sa.Float(), nullable=False),
    sa.Column('p10', sa.Float(), nullable=True),
    sa.Column('p90', sa.Float(), nullable=True),
    sa.Column('reserve_price', sa.Float(), nullable=False),
    sa.Column('below_minimum', sa.Boolean(), nullable=False),
    sa.Column('loan_ids', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['strategy_plans.plan_id'], name=op.f('fk_strategy_packages_plan_id_strategy_plans')),
    sa.PrimaryKeyConstraint('plan_id', 'package_id', name=op.f('pk_strategy_packages'))
    )
    op.create_table('strategy_case_payments',
    sa.Column('case_id', sa.String(length=40), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('amount_due', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('amount_paid', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['strategy_cases.case_id'], name=op.f('fk_strategy_case_payments_case_id_strategy_cases')),
    sa.PrimaryKeyConstraint('case_id', 'due_date', name=op.f('pk_strategy_case_payments'))
    )
    op.create_table('strategy_case_transitions',
    sa.Column('case_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=False),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('at', sa.Date(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=60), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['strategy_cases.case_id'], name=op.f('fk_strategy_case_transitions_case_id_strategy_cases')),
    sa.PrimaryKeyConstraint('case_id', 'seq', name=op.f('pk_strategy_case_transitions'))
    )


def downgrade() -> None:
    op.drop_table('strategy_case_transitions')
    op.drop_table('strategy_case_payments')
    op.drop_table('strategy_packages')
    op.drop_index('ix_strategy_cases_state', table_name='strategy_cases')
    op.drop_index('ix_strategy_cases_loan', table_name='strategy_cases')
    op.drop_table('strategy_cases')
    op.drop_table('strategy_assignments')
    op.drop_index(op.f('ix_strategy_plans_snapshot_id'), table_name='strategy_plans')
    op.drop_table('strategy_plans')
    op.drop_table('strategy_approval_tiers')

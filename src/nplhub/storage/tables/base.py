"""The shared MetaData with a naming convention, so constraints get stable names in migrations."""

from sqlalchemy import MetaData, Numeric

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def money() -> Numeric:
    """Yuan with two decimals, read back as Decimal."""
    return Numeric(18, 2, asdecimal=True)


def rate() -> Numeric:
    return Numeric(12, 8, asdecimal=True)

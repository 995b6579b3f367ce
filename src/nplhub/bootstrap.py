"""The composition root: builds the application's dependencies from settings.

API, CLI and web get their engine and units of work from here; nothing connects at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from nplhub import storage
from nplhub.config import Settings
from nplhub.storage.db import make_engine, upgrade
from nplhub.storage.unit_of_work import SqlAlchemyUnitOfWork


@dataclass
class Platform:
    settings: Settings
    engine: Engine
    _uow_factory: Callable[..., SqlAlchemyUnitOfWork] = field(repr=False, default=SqlAlchemyUnitOfWork)

    def uow(self, **kwargs: object) -> SqlAlchemyUnitOfWork:
        return self._uow_factory(self.engine, **kwargs)

    def close(self) -> None:
        self.engine.dispose()


def bootstrap(settings: Settings | None = None, *, migrate: bool = True) -> Platform:
    settings = settings or Settings()
    storage.load_adapters()
    url = settings.resolved_database_url
    if migrate:
        upgrade(url)
    return Platform(settings=settings, engine=make_engine(url))

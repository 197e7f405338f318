"""Sign-in's question: which municipality is this registration address in?

ESIA names the address by a FIAS GUID of whatever level the address was matched to — a
house, a street, a settlement or a city. The imported register answers for any of them; the
development table (``fias_oktmo.json``) is the fallback, so fixtures and tests work without
an import. A code neither knows is refused with what to do, counted in the
``vmeste_unknown_address_codes`` metric and recorded with its day (the code and the day only,
nothing about the person) for the operator's page of refused codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import structlog

from shared.identity.fias_oktmo import FiasTable, load_fias_table
from shared.identity.person import RegistrationAddress
from shared.identity.provider import IdentityRefusedError
from shared.identity.territory.store import TerritoryStore, normalise_code
from shared.metrics import UNKNOWN_ADDRESS_CODES

__all__ = ("AddressResolver",)

_log = structlog.get_logger("vmeste.identity")
_MAX_RECORDED = 64


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _no_address() -> IdentityRefusedError:
    return IdentityRefusedError(
        "no-registration-address",
        "No registration address",
        "Your Gosuslugi profile has no registration address (место регистрации). Add it "
        "on gosuslugi.ru and sign in again.",
    )


def _not_served() -> IdentityRefusedError:
    # The code stays out of the message: problem details may reach logs, and a house's code
    # is an address.
    return IdentityRefusedError(
        "territory-not-served",
        "Registration address outside the served territory",
        "The address register this platform holds does not know your registration address: "
        "it is outside the municipalities the platform serves, or it was registered after "
        "the platform's copy of the register was last updated. The operator sees such codes "
        "and updates the register; if your address is in a served region, sign in again in "
        "a few days.",
    )


class AddressResolver:
    """Turns ESIA's registration address code into the person's municipality, or refuses."""

    def __init__(
        self,
        store: TerritoryStore | None = None,
        *,
        fallback: FiasTable | None = None,
        service: str = "identity",
        today: Callable[[], dt.date] = _today,
    ) -> None:
        self._store = store
        self._fallback = fallback or load_fias_table()
        self._service = service
        self._today = today

    async def registration_address(self, fias_code: str | None) -> RegistrationAddress:
        """The municipality of ``fias_code``; IdentityRefusedError naming what to do."""
        if not fias_code or not fias_code.strip():
            raise _no_address()
        code = normalise_code(fias_code)
        if code is not None:
            if self._store is not None:
                placement = await self._store.resolve(code)
                if placement is not None:
                    return RegistrationAddress(
                        region=placement.region, oktmo=placement.oktmo, fias_code=code
                    )
            entry = self._fallback.lookup(code)
            if entry is not None:
                return RegistrationAddress(region=entry.region, oktmo=entry.oktmo, fias_code=code)
        shown = (code or fias_code.strip().lower())[:_MAX_RECORDED]
        UNKNOWN_ADDRESS_CODES.labels(self._service).inc()
        if self._store is not None:
            try:
                await self._store.record_refusal(shown, self._today())
            except Exception as exc:
                # The refusal stands either way; only the operator's list misses one.
                _log.warning("refused address code not recorded", error=type(exc).__name__)
        raise _not_served()

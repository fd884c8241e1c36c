"""Trip Currency (seed 004): ``catalog`` (pure specs), ``stores``, ``network``, ``component``."""

from components.trip_currency.component import TripCurrency, TripCurrencyArgs

__all__ = ["TripCurrency", "TripCurrencyArgs"]

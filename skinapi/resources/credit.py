"""The account's credit balance."""

from __future__ import annotations

import math

from .. import schema
from .api import Api

CREDIT_PATH = "/s2s/v1.0/client/credit"
FEATURE_COST_PATH = "/s2s/v2.0/credit/feature-cost"


class Credit:
    def __init__(self, api: Api):
        self._api = api

    def balance(self) -> float:
        """The units left, summed over the account's credit items."""
        payload, request_id = self._api.call(
            "GET", CREDIT_PATH, idempotent=True, deadline=self._api.short_deadline()
        )
        total = 0.0
        for item in schema.credit_items(payload, request_id):
            amount = item.get("amount_dec", (int, float)) or item.get("amount", (int, float))
            if amount is not None and math.isfinite(amount):
                total += float(amount)
        return total

    def feature_cost(self) -> list[schema.Sku]:
        """The unit price list's first page (a `next_token` for more is not followed)."""
        payload, request_id = self._api.call(
            "GET", FEATURE_COST_PATH, idempotent=True, deadline=self._api.short_deadline()
        )
        return schema.skus(payload, request_id)

"""Rate-limit windows at ``orgs/{org}/rate_windows/{bucket}-{window}``: how much of a one-minute budget
the instances have leased. An instance leases a slice in one write and spends it locally, so the store
sees one write per slice, not per request (at the default budget and slice, at most about 20 writes a
minute per bucket, whatever the number of instances). ``expires_at`` lets a TTL policy delete old
windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.cloud import firestore

from shared.store.budget import rpc
from shared.store.client import firestore_client
from shared.store.meter import written

COLLECTION = "rate_windows"


class RateWindows:
    """One org's rate-limit windows."""

    def __init__(self, org_id: str, client: firestore.Client | None = None) -> None:
        self.client = client or firestore_client()
        self.windows = self.client.collection("orgs").document(org_id).collection(COLLECTION)

    def lease(self, bucket: str, window_start: int, want: int, budget: int) -> tuple[int, int]:
        """Lease up to ``want`` of the window's ``budget``: (granted, leased in total now, at most the
        budget). One atomic increment of the window's ``leased`` by ``want`` (a single write: Firestore
        applies increments one after another and answers each with the sum it made, so every lease
        knows exactly what the leases before it took); of ``want``, only what the budget still held
        is granted (the stored sum may pass the budget; what passes it was never granted)."""
        ref = self.windows.document(f"{bucket}-{window_start}")
        ends = datetime.fromtimestamp(window_start, UTC) + timedelta(minutes=1)
        fields = {"leased": firestore.Increment(want), "expires_at": ends + timedelta(hours=1)}
        result = ref.set(fields, merge=True, **rpc("rate_limit"))
        written("rate_limit", 1)
        before = int(result.transform_results[0].integer_value) - want
        granted = max(0, min(want, budget - before))
        return granted, min(budget, before + granted)

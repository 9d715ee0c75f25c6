"""Rate-limit windows at ``orgs/{org}/rate_windows/{bucket}-{window}``: how much of a one-minute budget
the instances have leased. An instance leases a slice in one transaction and spends it locally, so the
store sees one write per slice, not per request (at the default budget and slice, at most about 20
writes a minute per bucket, whatever the number of instances). ``expires_at`` lets a TTL policy delete
old windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.cloud import firestore

from shared.store.budget import get_document
from shared.store.client import firestore_client
from shared.store.transactions import run_transaction

COLLECTION = "rate_windows"


class RateWindows:
    """One org's rate-limit windows."""

    def __init__(self, org_id: str, client: firestore.Client | None = None) -> None:
        self.client = client or firestore_client()
        self.windows = self.client.collection("orgs").document(org_id).collection(COLLECTION)

    def lease(self, bucket: str, window_start: int, want: int, budget: int) -> tuple[int, int]:
        """Lease up to ``want`` of the window's ``budget``: (granted, leased in total now)."""
        ref = self.windows.document(f"{bucket}-{window_start}")

        def run(transaction: firestore.Transaction) -> tuple[int, int]:
            snap = get_document(ref, "rate_limit", transaction)
            leased = int((snap.to_dict() or {}).get("leased", 0)) if snap.exists else 0
            granted = max(0, min(want, budget - leased))
            if granted:
                ends = datetime.fromtimestamp(window_start, UTC) + timedelta(minutes=1)
                transaction.set(ref, {"leased": leased + granted, "expires_at": ends + timedelta(hours=1)})
            return granted, leased + granted

        result: tuple[int, int] = run_transaction(self.client, run, purpose="rate_limit", lock_key=ref.path)
        return result

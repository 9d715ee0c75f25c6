"""Firestore: the org's events (:mod:`.events`), idempotency records (:mod:`.idempotency`), the one
transaction retry layer (:mod:`.transactions`) and the composite indexes the queries need
(:mod:`.indexes`)."""

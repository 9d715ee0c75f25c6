"""The library every NovaVMS Events function imports: config, errors, http edge, auth, filters,
cursors, the Firestore event store and signed media URLs."""

"""Webhooks: signed messages of the change log, sent to the endpoints an org registers."""

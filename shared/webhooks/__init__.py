"""Webhooks: signed messages of the change log, sent to the endpoints an org registers.

:mod:`shared.webhooks.sender` holds where a webhook may go (the target URL's rules against SSRF) and
sends one attempt to the very address it checked.
"""

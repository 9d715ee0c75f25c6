"""Webhooks: signed messages about an org's changes, pushed to the endpoints its admins register.

:mod:`shared.webhooks.sender` holds what is safe to call (the target URL's rules against SSRF) and
sends one attempt to the very address it checked.
"""

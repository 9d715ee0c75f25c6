"""Webhooks: signed messages about an org's changes, pushed to the endpoints its admins register.

:mod:`shared.webhooks.sender` holds what is safe to call (the target URL's rules against SSRF) and
sends one attempt to the very address it checked; :mod:`shared.webhooks.endpoints` the endpoints'
bodies and shape, :mod:`shared.webhooks.signing` the Standard Webhooks signature,
:mod:`shared.webhooks.vault` the secrets at rest and :mod:`shared.webhooks.delivery` one attempt of a
delivery and the sweeper's pass.
"""

"""Ingest from Pub/Sub: the tenant's topic ``events-ingest`` delivers each published message to the
``ingest_pubsub`` function as a CloudEvent (``google.cloud.pubsub.topic.v1.messagePublished``).

:mod:`shared.pubsub.message` reads the delivery and the message (its org, its events or why it is
rejected), :mod:`shared.pubsub.dead_letter` publishes what is rejected to ``events-ingest-dead`` and
:mod:`shared.pubsub.ingest` handles one message through the ingest API's own batch write and budget.
"""

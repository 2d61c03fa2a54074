"""SMS alerts with delivery truth: the lifecycle table (``states``), text arithmetic (``text``),
models, service, the silent-failure monitor and the delivery-report webhooks.

An SMS counts as sent only when the operator reports it delivered; gateways live behind
``ticketdesk.ports.sms``.
"""

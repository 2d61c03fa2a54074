"""The client portal: customers of an organisation see and act on its tickets, and the organisation's
admin contacts manage its technical contacts, phone PIN, sender-check policy and SMS history.

``service.py`` (login links, passwords, portal sessions), ``actions.py`` (ticket actions on top of the
ticket service), ``orgadmin.py`` (organisation administration on top of the contacts service),
``queries.py`` (reads, always scoped to the contact's organisation) and the views (blueprint ``bp`` in
``views.py``, url prefix ``/portal``).
"""

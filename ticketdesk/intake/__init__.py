"""E-mail intake: store → parse → sanitize → (senderauth) → match → policy.decide → apply."""

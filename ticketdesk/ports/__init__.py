"""Outside systems behind small interfaces: dns, mail, sms, realtime, clock."""

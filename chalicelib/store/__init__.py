"""The ledger table in DynamoDB: its schema and indexes, how each item family is written
(sign-ins and their claims, counters, the directory, places, send slots, root MFA; the
week's hour counters and the Events API deliveries handled once).
May import: clock, severity, settings, signin, judge."""

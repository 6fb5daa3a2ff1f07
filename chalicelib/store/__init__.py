"""The ledger table in DynamoDB: its schema, sign-in items, counters, burst windows,
places, send slots and history queries. Imports `signin`, `judge` values and `settings`."""

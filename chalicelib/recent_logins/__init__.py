"""`POST /slack/recent-logins`: the grammar, who may use it, the read side of the ledger
(plan, counts, queries), the replies and the handler.
May import: aws_clients, clock, logs, severity, settings, signin, judge, store, slack,
organization."""

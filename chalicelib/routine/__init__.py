"""Routine sign-ins: those below ALERT_MIN_SEVERITY, recorded and rolled up instead of
posted one by one. Each is written, in the sign-in's own commit, as an entry of its
period's roll-up (`entries`); the every-minute sweep (`rollups`) tells each period's
entries once: with a webhook, one message per closed ROUTINE_SUMMARY_MINUTES window that
had any; with the Web API, one "routine sign-ins today" message per channel, updated in
place. `periods` says which roll-up a sign-in belongs to, `message` what it reads like,
`store` how its state is kept in the ledger.
May import: clock, logs, severity, settings, signin, judge, store, slack."""

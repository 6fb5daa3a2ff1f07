"""The AWS Organization the app watches: its accounts, names and OU paths read from
Organizations (`reader`), kept in the ledger (`stored`), cached per container and
refreshed daily or when an unknown account signs in (`directory`); which events are a
member's (`trust`); what an account can be called or selected by (`roster`).
May import: aws_clients, clock, logs, settings, signin, store."""

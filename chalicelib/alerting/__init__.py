"""The sign-in pipeline, one step a module (gather, decide, commit, deliver), its minute
sweeps and the daily digest: the package that joins the features below it.
May import: clock, logs, severity, settings, signin, judge, store, slack, storms, changes,
organization, routine."""

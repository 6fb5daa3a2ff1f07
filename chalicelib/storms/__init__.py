"""Storms: many failed sign-ins become one burst alert and its summaries (the decision,
its plan and writes, windows and burst items, the summaries sweep, the messages).
May import: clock, logs, severity, settings, signin, judge, store, slack."""

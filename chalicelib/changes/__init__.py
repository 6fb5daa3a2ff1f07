"""The steps around a sign-in: what an account change means for the sign-ins after it
(the takeover correlation). The changes themselves are read with the sign-in
(signin/change.py) and judged by rules beside the sign-in rules (judge/rules/change_*).
May import: clock, severity, settings, signin, judge, store."""

"""How serious a sign-in is: severity, rules, storm and place decisions. Pure functions
of values; imports `signin` and `settings`, never a client."""

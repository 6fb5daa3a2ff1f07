"""How serious a sign-in is: the rules, the verdict, new places and escalation. Pure
functions of values, never a client.
May import: severity, settings, signin."""

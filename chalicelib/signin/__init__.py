"""The sign-in event: any CloudTrail sign-in record in, one typed `SignIn` out (with
what named its principal's kind and which service it was to, as the record says); the
words every message uses for it; the EventBridge pattern that delivers them.
May import: nothing of chalicelib."""

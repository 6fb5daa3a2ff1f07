"""The sign-in event: any CloudTrail sign-in record in, one typed `SignIn` out; the words
every message uses for it; the EventBridge pattern that delivers them.
May import: nothing of chalicelib."""

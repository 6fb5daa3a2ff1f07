"""The sign-in event: any CloudTrail sign-in record in, one typed `SignIn` out, and the
EventBridge pattern that delivers them. Pure; imports only the standard library and Chalice."""

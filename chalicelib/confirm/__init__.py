"""Was this you? The person behind a sign-in confirms it in Slack."""

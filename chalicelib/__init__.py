"""signin-alerts: AWS console sign-ins to Slack. Everything here ships to Lambda."""

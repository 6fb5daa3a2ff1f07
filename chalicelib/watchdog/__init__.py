"""The watchdog: signin-alerts checks its own pipeline every hour and says when it
cannot see (trail, rule, forwarding, queue, Slack credentials).
May import: aws_clients, clock, logs, secret_shapes, settings, signin, store, slack."""

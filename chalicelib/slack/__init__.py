"""Slack itself: delivery (webhook or Web API), the request gate and signatures, and the
Block Kit builders for alerts and the digest; file uploads and App Home views
(`web_surfaces`).
May import: clock, logs, secret_shapes, severity, settings, signin, judge, store."""

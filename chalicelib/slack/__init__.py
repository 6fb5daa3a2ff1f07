"""Slack: delivery (webhook or Web API), request signatures, and the Block Kit builders
for alerts, bursts and the digest. Imports `signin` and `judge` values, never `store`."""

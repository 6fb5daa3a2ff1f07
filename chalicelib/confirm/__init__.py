""" "Was this you?": who is asked, the question and its answer, the escalation sweep;
plugs into the pipeline as its after-post step.
May import: aws_clients, clock, logs, severity, settings, signin, judge, store, slack, alerting."""

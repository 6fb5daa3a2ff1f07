"""`POST /slack/recent-logins`: the command's grammar, who may use it, its replies and
the handler. Reads through `store.history`; verifies with `slack.verify`."""

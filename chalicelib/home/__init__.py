"""The App Home tab: the Events API's `app_home_opened` at `POST /slack/events`
(`events.py`: the Slack gate, `url_verification`, one publish per delivery however often
Slack retries), what the tab shows (`reads.py`: the week, open bursts, questions waiting
for the viewer, the last root sign-in, the watchdog's open problems), its blocks
(`view.py`) and its buttons, which run common `/recent-logins` queries (`clicks.py`).
May import: aws_clients, clock, logs, severity, settings, signin, judge, store, slack,
storms, watchdog, recent_logins, picture."""

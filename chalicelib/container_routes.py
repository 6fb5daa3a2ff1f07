"""The parts only Slack's requests use (`/recent-logins`, the App Home tab, the request
signature): each imported and built when Slack first calls, so that `import app` and a
sign-in's cold start never load them (tests/functional/test_picture_imports.py)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from chalicelib.container_parts import SharedParts

if TYPE_CHECKING:
    from chalicelib.home.events import SlackEvents
    from chalicelib.recent_logins.handler import RecentLogins
    from chalicelib.recent_logins.history import SigninHistory
    from chalicelib.slack.verify import RequestVerifier


class RouteParts(SharedParts):
    @cached_property
    def history(self) -> SigninHistory:
        from chalicelib.recent_logins.history import SigninHistory

        return SigninHistory(
            self.slash_dynamodb,
            self.settings.ledger_table,
            clock=self.clocks.now,
            retention_days=self.settings.ledger_retention_days,
        )

    def request_verifier(self) -> RequestVerifier:
        from chalicelib.slack.verify import RequestVerifier

        settings = self.settings
        secret = self.slash_secrets.value(
            settings.slack_signing_secret,
            settings.slack_signing_secret_param,
            "SLACK_SIGNING_SECRET",
        )
        return RequestVerifier(secret, now=self.clocks.time)

    @cached_property
    def recent_logins(self) -> RecentLogins:
        from chalicelib.recent_logins.handler import RecentLogins
        from chalicelib.store.signin_reads import SigninReads

        # Factories: settings and the secret are read on the first request, inside the
        # handler, so that a broken configuration is a logged 401, never a 500.
        return RecentLogins(
            settings=lambda: self.settings,
            verifier=self.request_verifier,
            history=lambda: self.history,
            clock=self.clocks.now,
            calls=self.slash_deadline,
            # /recent-logins' own (shorter) clients and deadline, as its history's.
            confirm_states=lambda event_ids: SigninReads(
                self.slash_dynamodb, self.settings.ledger_table
            ).states(event_ids),
            roster=lambda: self.slash_roster(),
        )

    # -- the App Home tab (chalicelib/home/): imported when Slack first calls it ----------

    @cached_property
    def slack_events(self) -> SlackEvents:
        from chalicelib.home.events import SlackEvents
        from chalicelib.home.reads import HomeReads
        from chalicelib.store.slack_events import SlackEventMarks

        return SlackEvents(
            settings=lambda: self.settings,
            verifier=self.request_verifier,
            reads=lambda: HomeReads(
                self.settings, self.slash_dynamodb, stage=self.stage_name, clock=self.clocks.now
            ),
            marks=lambda: SlackEventMarks(self.slash_dynamodb, self.settings.ledger_table),
            surfaces=self.slack_surfaces,
            clock=self.clocks.now,
            calls=self.slash_deadline,
        )

    def _home_clicks(self, payload: dict[str, Any]) -> str | None:
        """A Home tab query button, clicked (`POST /slack/interactions`)."""
        from chalicelib.home.clicks import HomeClicks

        return HomeClicks(
            settings=lambda: self.settings,
            history=lambda: self.history,
            surfaces=self.slack_surfaces,
            clock=self.clocks.now,
        )(payload)

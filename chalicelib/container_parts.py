"""The container's parts that only need its clients and settings: the organization's
names (the ledger's copy) and the week's picture, each built when first needed."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from chalicelib.container_clients import ContainerClients
from chalicelib.organization.directory import AccountDirectory
from chalicelib.organization.reader import OrganizationReader
from chalicelib.organization.stored import StoredRoster
from chalicelib.slack.destination import bot_token

if TYPE_CHECKING:  # built on first use: `import app` (the sign-in's cold start) skips them
    from chalicelib.picture.digest_picture import DigestPicture
    from chalicelib.slack.web_surfaces import SlackSurfaces
    from chalicelib.store.week_tally import WeekTally


class SharedParts(ContainerClients):
    @cached_property
    def account_directory(self) -> AccountDirectory:
        settings = self.settings
        return AccountDirectory(
            lambda: OrganizationReader(self.organizations, time_left=self.deadline.remaining),
            settings.ledger_table,
            names=settings.account_names,
            refresh_minutes=settings.organization_refresh_minutes,
            home=lambda: self.home_account,
        )

    @cached_property
    def stored_roster(self) -> StoredRoster:
        """The organization as the ledger holds it, for the digest."""
        return StoredRoster(
            lambda: self.dynamodb,
            self.settings.ledger_table,
            clock=self.clocks.time,
            retry_seconds=self.settings.organization_refresh_minutes * 60,
        )

    # -- the week's picture (chalicelib/picture/) --------------------------------------
    @cached_property
    def week_tally(self) -> WeekTally:
        from chalicelib.store.week_tally import WeekTally

        return WeekTally(self.dynamodb, self.settings.ledger_table)

    def slack_surfaces(self) -> SlackSurfaces | None:
        """Uploads and Home views; None when Slack is a webhook (no bot token)."""
        return self._slack_surfaces

    @cached_property
    def _slack_surfaces(self) -> SlackSurfaces | None:
        from chalicelib.slack.web_surfaces import SlackSurfaces

        token = bot_token(self.settings, self.secrets)
        if not token:
            return None
        settings = self.settings
        return SlackSurfaces(
            token, base_url=settings.slack_api_url, timeout=settings.slack_timeout_seconds
        )

    @cached_property
    def digest_picture(self) -> DigestPicture:
        from chalicelib.picture.digest_picture import DigestPicture

        return DigestPicture(
            self.settings, self.week_tally, self.slack_surfaces, monotonic=self.clocks.monotonic
        )

    @cached_property
    def slash_roster(self) -> StoredRoster:
        """The organization for /recent-logins: the ledger's copy, on its own client."""
        return StoredRoster(
            lambda: self.slash_dynamodb,
            self.settings.ledger_table,
            clock=self.clocks.time,
            retry_seconds=self.settings.organization_refresh_minutes * 60,
        )

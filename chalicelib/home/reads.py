"""What the Home tab shows, read for one viewer: the week's hour counters (one
BatchGetItem) and yesterday's busiest (one Query), the open bursts (one Query and one
GetItem each, at most MAX_BURSTS), the questions waiting for the viewer (one Query of the
pending index, one BatchGetItem), the last root sign-in (one Query of the root index)
and the watchdog's open problems (one Query). Never a Scan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.picture.week import WeekGrid, utc_days_of, week_days, week_grid
from chalicelib.recent_logins.queries import Entry
from chalicelib.settings import Settings
from chalicelib.store.attributes import BATCH_GET_LIMIT
from chalicelib.store.day_tally import DayTally
from chalicelib.store.indexes import CATEGORY_INDEXES, CATEGORY_PARTITION_ATTRIBUTES, LISTED
from chalicelib.store.schema import Category, event_key
from chalicelib.store.signin_reads import SigninReads
from chalicelib.store.signin_record import ANSWERABLE, SigninRecord
from chalicelib.store.week_tally import WeekTally
from chalicelib.storms.bursts import BurstSweep
from chalicelib.storms.decision import Dimension
from chalicelib.storms.titles import burst_title
from chalicelib.watchdog.findings import Status
from chalicelib.watchdog.state import WatchdogState

MAX_BURSTS = 5
MAX_QUESTIONS = 10
PENDING_READ = BATCH_GET_LIMIT  # open questions looked at for the viewer's


@dataclass(frozen=True)
class WaitingQuestion:
    event_id: str
    asked_at: datetime | None
    signin: dict[str, str]  # event-derived text: principal, account, IP, time


@dataclass(frozen=True)
class HomeData:
    week: WeekGrid
    bursts: tuple[str, ...]
    questions: tuple[WaitingQuestion, ...]
    last_root: Entry | None
    problems: tuple[str, ...]
    stage: str


class HomeReads:
    def __init__(
        self,
        settings: Settings,
        dynamodb: Any,
        *,
        stage: str,
        clock: Callable[[], datetime],
    ) -> None:
        self._settings = settings
        self._db = dynamodb
        self._table = settings.ledger_table
        self._stage = stage
        self._clock = clock

    def for_viewer(self, user_id: str) -> HomeData:
        now = self._clock()
        return HomeData(
            self.week(now),
            self.open_bursts(now),
            self.questions_for(user_id),
            self.last_root(),
            self.problems(),
            self._stage,
        )

    def week(self, now: datetime) -> WeekGrid:
        """The seven days ending today in the display time zone; the bars: yesterday's."""
        zone = self._settings.display_timezone
        today = now.astimezone(ZoneInfo(zone)).date()
        hours = WeekTally(self._db, self._table).read(utc_days_of(week_days(today), zone))
        yesterday = DayTally(self._db, self._table).read(now.date() - timedelta(days=1))
        return week_grid(
            today, zone, hours, principals=yesterday.busiest, accounts=yesterday.accounts
        )

    def open_bursts(self, now: datetime) -> tuple[str, ...]:
        sweep = BurstSweep(self._db, self._table)
        titles = []
        for subject_id in sweep.open_burst_ids()[:MAX_BURSTS]:
            found = sweep.get(subject_id)
            if found is None:
                continue
            burst, count, failures = found
            if not burst.covers(int(now.timestamp())):
                continue
            spray = burst.subject.dimension is Dimension.SPRAY
            titles.append(burst_title(count, failures=failures if spray else None))
        return tuple(titles)

    def questions_for(self, user_id: str) -> tuple[WaitingQuestion, ...]:
        """ "Was this you?" questions asked of `user_id` and not answered yet."""
        far = datetime(9999, 1, 1, tzinfo=UTC)
        pending = SigninReads(self._db, self._table).due(far, limit=PENDING_READ)
        if not pending:
            return ()
        request: dict[str, Any] = {
            self._table: {"Keys": [event_key(event_id) for event_id in pending]}
        }
        records: list[SigninRecord] = []
        for _ in range(3):  # unprocessed keys: a throttled partition, asked again
            response = self._db.batch_get_item(RequestItems=request)
            items = response.get("Responses", {}).get(self._table, [])
            records.extend(SigninRecord.of(item) for item in items)
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        mine = [
            record
            for record in records
            if record.question.user_id == user_id and record.question.state in ANSWERABLE
        ]
        mine.sort(key=lambda record: record.event_time, reverse=True)
        return tuple(
            WaitingQuestion(record.event_id, record.question.asked_at, dict(record.signin))
            for record in mine[:MAX_QUESTIONS]
        )

    def last_root(self) -> Entry | None:
        response = self._db.query(
            TableName=self._table,
            IndexName=CATEGORY_INDEXES[Category.ROOT],
            KeyConditionExpression="#p = :p",
            ExpressionAttributeNames={"#p": CATEGORY_PARTITION_ATTRIBUTES[Category.ROOT]},
            ExpressionAttributeValues={":p": {"S": LISTED}},
            ScanIndexForward=False,
            Limit=1,
        )
        items = response.get("Items", [])
        return Entry.from_item(items[0]) if items else None

    def problems(self) -> tuple[str, ...]:
        states = WatchdogState(self._db, self._table).load(self._stage)
        return tuple(
            record.what or record.key
            for record in states.values()
            if record.status is Status.PROBLEM
        )

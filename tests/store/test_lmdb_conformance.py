"""eventsourcing's own recorder and factory test cases, run against scint.store.lmdb."""

from __future__ import annotations

import shutil
import tempfile
from typing import Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.tests.persistence import (
    AggregateRecorderTestCase,
    ApplicationRecorderTestCase,
    InfrastructureFactoryTestCase,
    NonInterleavingNotificationIDsBaseCase,
    ProcessRecorderTestCase,
    TrackingRecorderTestCase,
)
from eventsourcing.utils import Environment

from scint.store.lmdb import (
    LMDBAggregateRecorder,
    LMDBApplicationRecorder,
    LMDBFactory,
    LMDBProcessRecorder,
    LMDBTrackingRecorder,
)


class LMDBTestMixin:
    """A fresh store directory and factory per test; closed and removed afterwards."""

    factory: LMDBFactory

    def setUp(self) -> None:
        self.tmpdir = tempfile.mkdtemp(prefix="scint-lmdb-")
        self.factory = InfrastructureFactory.construct(
            {"PERSISTENCE_MODULE": "scint.store.lmdb", "LMDB_PATH": self.tmpdir}
        )
        super().setUp()  # type: ignore[misc]

    def tearDown(self) -> None:
        super().tearDown()  # type: ignore[misc]
        self.factory.close()
        shutil.rmtree(self.tmpdir, ignore_errors=True)


class TestLMDBAggregateRecorder(LMDBTestMixin, AggregateRecorderTestCase):
    def create_recorder(self) -> LMDBAggregateRecorder:
        recorder = self.factory.aggregate_recorder()
        assert isinstance(recorder, LMDBAggregateRecorder)
        return recorder

    def test_snapshots_are_kept_apart(self) -> None:
        events = self.factory.aggregate_recorder("events")
        snapshots = self.factory.aggregate_recorder("snapshots")
        self.assertIsNot(events, snapshots)
        from uuid import uuid4

        from eventsourcing.persistence import StoredEvent

        originator_id = uuid4()
        snapshots.insert_events([StoredEvent(originator_id, 5, "snap", b"s")])
        self.assertEqual(events.select_events(originator_id), [])
        self.assertEqual(len(snapshots.select_events(originator_id)), 1)


class TestLMDBApplicationRecorder(LMDBTestMixin, ApplicationRecorderTestCase[LMDBApplicationRecorder]):
    def create_recorder(self) -> LMDBApplicationRecorder:
        recorder = self.factory.application_recorder()
        assert isinstance(recorder, LMDBApplicationRecorder)
        return recorder

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


class TestLMDBTrackingRecorder(LMDBTestMixin, TrackingRecorderTestCase):
    def create_recorder(self) -> LMDBTrackingRecorder:
        return self.factory.tracking_recorder()


class TestLMDBProcessRecorder(LMDBTestMixin, ProcessRecorderTestCase):
    def create_recorder(self) -> LMDBProcessRecorder:
        recorder = self.factory.process_recorder()
        assert isinstance(recorder, LMDBProcessRecorder)
        return recorder


class TestLMDBNonInterleavingNotificationIDs(LMDBTestMixin, NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> LMDBApplicationRecorder:
        recorder = self.factory.application_recorder()
        assert isinstance(recorder, LMDBApplicationRecorder)
        return recorder


class _TrackingRecorderSubclass(LMDBTrackingRecorder):
    pass


class TestLMDBInfrastructureFactory(InfrastructureFactoryTestCase[LMDBFactory]):
    def setUp(self) -> None:
        self.tmpdir = tempfile.mkdtemp(prefix="scint-lmdb-")
        self.env = Environment("TestCase")
        self.env[InfrastructureFactory.PERSISTENCE_MODULE] = "scint.store.lmdb"
        self.env[LMDBFactory.LMDB_PATH] = self.tmpdir
        super().setUp()

    def tearDown(self) -> None:
        super().tearDown()
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def expected_factory_class(self) -> type[LMDBFactory]:
        return LMDBFactory

    def expected_aggregate_recorder_class(self) -> type[Any]:
        return LMDBAggregateRecorder

    def expected_application_recorder_class(self) -> type[Any]:
        return LMDBApplicationRecorder

    def expected_tracking_recorder_class(self) -> type[Any]:
        return LMDBTrackingRecorder

    def tracking_recorder_subclass(self) -> type[Any]:
        return _TrackingRecorderSubclass

    def expected_process_recorder_class(self) -> type[Any]:
        return LMDBProcessRecorder


del AggregateRecorderTestCase
del ApplicationRecorderTestCase
del TrackingRecorderTestCase
del ProcessRecorderTestCase
del NonInterleavingNotificationIDsBaseCase
del InfrastructureFactoryTestCase

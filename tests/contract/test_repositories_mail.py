"""MailRepository's contract on both tables: the outbox's jobs (queueing, the sharded `mail`
index of unsent and failed jobs, claims under a lease, retries, finishing, requeueing, the
move of jobs queued before that index existed) and the suppression data the sender re-checks.

On DynamoDB one table serves the module, so other tests' jobs share the shard partitions:
assertions on due and unsent ids look at this test's own ids (membership and order).
"""
from __future__ import annotations

import zlib
from typing import Any, Callable

import pytest

from shared.store.mail import SHARDS, MailJob, MailRepository, priority_of, unsent_partition
from shared.store.table import ConditionFailed, Put, Table, Transaction

Ids = Callable[[], str]
NOW = 1_800_000_000.5  # a clock reading; the outbox compares whole seconds
T0 = int(NOW)
AT = "2027-01-15T10:00:00.000+00:00"
LATER = "2027-01-15T10:05:00.000+00:00"
EVERYTHING = 1000  # a limit no partition of this module's table reaches


@pytest.fixture
def mail(table: Table) -> MailRepository:
    return MailRepository(table)


def _job(uid: Ids, kind: str = "transactional", job_id: str | None = None, **values: Any) -> MailJob:
    return MailJob(job_id or uid(), kind, "welcome", AT, account_id=uid(), **values)


def _shard_of(job_id: str, priority: str) -> int:
    """The shard the module files a job under (test_a_job_is_filed_in_one_shard_of_its_priority
    checks this against what the table answers)."""
    return zlib.crc32(job_id.encode()) % SHARDS[priority]


def _id_in_shard(uid: Ids, priority: str, shard: int) -> str:
    while True:
        job_id = uid()
        if _shard_of(job_id, priority) == shard:
            return job_id


def _due(mail: MailRepository, job: MailJob, now: float, limit: int = EVERYTHING) -> list[str]:
    """The due ids of the shard partition `job` belongs to."""
    return mail.due_job_ids(job.priority, _shard_of(job.job_id, job.priority), now, limit=limit)


def _holders(mail: MailRepository, job_id: str, now: float) -> list[tuple[str, int]]:
    """Every (priority, shard) partition whose due ids include `job_id`, asking each one."""
    return [(priority, shard) for priority, shards in SHARDS.items() for shard in range(shards)
            if job_id in mail.due_job_ids(priority, shard, now, limit=EVERYTHING)]


def _claimed(mail: MailRepository, job: MailJob, claim_id: str, now: float = NOW) -> MailJob:
    claimed = mail.claim(job.job_id, now, 60, claim_id)
    assert claimed is not None
    return claimed


def _legacy_item(job_id: str, kind: str = "transactional", status: str = "pending",
                 indexed: bool = True) -> dict[str, Any]:
    """A job as the code before the `mail` index wrote it: under gsi1 while unsent."""
    item: dict[str, Any] = {"pk": f"MAIL#{job_id}", "sk": "JOB", "type": "mail_job", "job_id": job_id, "kind": kind,
                            "template": "welcome", "created_at": AT, "account_id": "acc-legacy", "status": status,
                            "attempts": 0}
    if indexed:
        item.update({"gsi1pk": "MAIL#UNSENT", "gsi1sk": f"{AT}#{job_id}"})
    return item


# -- queueing and reading -------------------------------------------------------------------
def test_a_job_queued_in_a_transaction_reads_back_as_written(table: Table, mail: MailRepository, uid: Ids) -> None:
    job = _job(uid, context={"login_link": "confirm", "unsubscribe_topics": ["newsletter"]}, topic="newsletter",
               campaign_id=uid(), to_address="new@example.org", attempts=1, deferrals=2, next_attempt_at=T0 - 5,
               detail="deferred:Throttling")
    tx = Transaction()
    mail.add_job(tx, job)
    assert mail.job(job.job_id) is None  # nothing before the commit
    table.commit(tx)
    assert mail.job(job.job_id) == job
    assert mail.job(uid()) is None


def test_put_job_writes_and_replaces_a_job(mail: MailRepository, uid: Ids) -> None:
    job = _job(uid, kind="service")
    mail.put_job(job)
    assert mail.job(job.job_id) == job
    changed = _job(uid, kind="service", job_id=job.job_id, detail="changed")
    mail.put_job(changed)
    assert mail.job(job.job_id) == changed


def test_jobs_reads_many_ids_at_once_and_leaves_missing_ones_out(mail: MailRepository, uid: Ids) -> None:
    queued = [_job(uid, kind="promotional") for _ in range(105)]  # more than one batch of 100
    for job in queued:
        mail.put_job(job)
    missing = [uid() for _ in range(3)]
    asked = [j.job_id for j in queued] + missing + [queued[0].job_id]  # a repeat is fine
    assert mail.jobs(asked) == {j.job_id: j for j in queued}
    assert mail.jobs(missing) == {}
    assert mail.jobs([]) == {}


# -- add_missing_jobs -----------------------------------------------------------------------
def test_add_missing_jobs_queues_new_jobs_and_reports_none_present(mail: MailRepository, uid: Ids) -> None:
    jobs = [_job(uid, kind="promotional") for _ in range(5)]
    assert mail.add_missing_jobs(jobs) == []
    assert mail.jobs([j.job_id for j in jobs]) == {j.job_id: j for j in jobs}
    assert mail.add_missing_jobs([]) == []


def test_add_missing_jobs_reports_the_present_ids_and_writes_only_the_others(mail: MailRepository, uid: Ids) -> None:
    present = [_job(uid, kind="promotional") for _ in range(2)]
    for job in present:
        mail.put_job(job)
    new = [_job(uid, kind="promotional") for _ in range(3)]
    again = [_job(uid, kind="promotional", job_id=j.job_id, detail="second run") for j in present]
    batch = [new[0], again[0], new[1], again[1], new[2]]
    assert sorted(mail.add_missing_jobs(batch)) == sorted(j.job_id for j in present)
    assert mail.jobs([j.job_id for j in batch]) == {j.job_id: j for j in [*present, *new]}


def test_add_missing_jobs_never_overwrites_a_job_that_moved_on(mail: MailRepository, uid: Ids) -> None:
    sent = _job(uid, kind="promotional", status="sent", attempts=2, deferrals=1, finished_at=LATER,
                expires_at=T0 + 999, detail="sent")
    mail.put_job(sent)
    fresh = _job(uid, kind="promotional", job_id=sent.job_id)
    assert mail.add_missing_jobs([fresh]) == [sent.job_id]
    assert mail.job(sent.job_id) == sent
    assert sent.job_id not in mail.unsent_job_ids(limit=EVERYTHING)


def test_add_missing_jobs_takes_more_than_one_transaction(mail: MailRepository, uid: Ids) -> None:
    jobs = [_job(uid, kind="promotional") for _ in range(201)]  # 100 + 100 + 1
    present = [jobs[3], jobs[200]]  # in the first transaction and in the last
    stored_before = {j.job_id: _job(uid, kind="promotional", job_id=j.job_id, status="skipped") for j in present}
    for job in stored_before.values():
        mail.put_job(job)
    assert sorted(mail.add_missing_jobs(jobs)) == sorted(stored_before)
    expected = {j.job_id: stored_before.get(j.job_id, j) for j in jobs}
    assert mail.jobs(list(expected)) == expected


# -- the unsent index: priority, shards, due order ------------------------------------------
@pytest.mark.parametrize("kind, priority", [("transactional", "T"), ("promotional", "B"), ("service", "B")])
def test_a_job_is_filed_in_one_shard_of_its_priority(mail: MailRepository, uid: Ids, kind: str,
                                                     priority: str) -> None:
    assert priority_of(kind) == priority
    job = _job(uid, kind=kind)
    mail.put_job(job)
    assert _holders(mail, job.job_id, NOW) == [(priority, _shard_of(job.job_id, priority))]


def test_a_pending_job_is_keyed_by_partition_and_due_time(table: Table, mail: MailRepository, uid: Ids) -> None:
    job = _job(uid, next_attempt_at=T0 + 7)
    mail.put_job(job)
    stored = table.get(MailJob.key(job.job_id))
    assert stored is not None
    assert (stored["mailpk"], stored["mailsk"]) == (unsent_partition("T", _shard_of(job.job_id, "T")),
                                                   f"{T0 + 7:010d}#{job.job_id}")
    done = _job(uid, status="sent")
    mail.put_job(done)
    stored_done = table.get(MailJob.key(done.job_id))
    assert stored_done is not None and "mailpk" not in stored_done and "mailsk" not in stored_done


def test_due_job_ids_lists_due_jobs_of_one_shard_longest_due_first(mail: MailRepository, uid: Ids) -> None:
    shard = _shard_of(uid(), "B")
    due = {at: _job(uid, kind="promotional", job_id=_id_in_shard(uid, "B", shard), next_attempt_at=at)
           for at in (T0 - 5, T0 - 100, T0)}  # T0 is due at NOW (T0 + 0.5)
    later = _job(uid, kind="promotional", job_id=_id_in_shard(uid, "B", shard), next_attempt_at=T0 + 1)
    elsewhere = _job(uid, kind="promotional", job_id=_id_in_shard(uid, "B", (shard + 1) % SHARDS["B"]))
    for job in [*due.values(), later, elsewhere]:
        mail.put_job(job)
    mine = {j.job_id for j in [*due.values(), later, elsewhere]}
    in_order = [due[at].job_id for at in sorted(due)]
    assert [i for i in mail.due_job_ids("B", shard, NOW, limit=EVERYTHING) if i in mine] == in_order
    assert [i for i in mail.due_job_ids("B", shard, T0 + 1, limit=EVERYTHING) if i in mine] == [*in_order,
                                                                                             later.job_id]
    assert [i for i in mail.due_job_ids("B", shard, T0 - 6, limit=EVERYTHING) if i in mine] == [in_order[0]]
    assert elsewhere.job_id in mail.due_job_ids("B", (shard + 1) % SHARDS["B"], NOW, limit=EVERYTHING)


def test_due_job_ids_respects_its_limit(mail: MailRepository, uid: Ids) -> None:
    shard = _shard_of(uid(), "T")
    for n in range(3):
        mail.put_job(_job(uid, job_id=_id_in_shard(uid, "T", shard), next_attempt_at=T0 - n))
    everything = mail.due_job_ids("T", shard, NOW, limit=EVERYTHING)
    assert len(everything) >= 3
    assert mail.due_job_ids("T", shard, NOW, limit=2) == everything[:2]
    assert mail.due_job_ids("T", shard, NOW, limit=1) == everything[:1]


def test_unsent_job_ids_lists_pending_jobs_in_every_shard_and_legacy_ones(
        table: Table, mail: MailRepository, uid: Ids) -> None:
    pending = [_job(uid, kind=kind, next_attempt_at=at)
               for kind in ("transactional", "promotional", "service") for at in (0, T0 + 10_000)]  # due or not
    for job in pending:
        mail.put_job(job)
    legacy = uid()
    table.put(Put(_legacy_item(legacy)))
    sent, failed = _job(uid), _job(uid, kind="promotional")
    for job, status in ((sent, "sent"), (failed, "failed")):
        mail.put_job(job)
        _claimed(mail, job, "c1")
        mail.finish(job.job_id, "c1", status, LATER, T0 + 999)
    unsent = mail.unsent_job_ids(limit=EVERYTHING)
    assert {j.job_id for j in pending} | {legacy} <= set(unsent)
    assert sent.job_id not in unsent and failed.job_id not in unsent
    assert len(unsent) == len(set(unsent))  # each job once
    assert len(mail.unsent_job_ids(limit=2)) == 2


# -- jobs queued before the mail index ------------------------------------------------------
def test_a_legacy_job_is_listed_then_moved_into_its_partition(table: Table, mail: MailRepository, uid: Ids) -> None:
    job_id = uid()
    table.put(Put(_legacy_item(job_id, kind="promotional")))
    listed = [j for j in mail.legacy_unsent_jobs(limit=EVERYTHING) if j.job_id == job_id]
    assert listed == [MailJob(job_id, "promotional", "welcome", AT, account_id="acc-legacy")]
    assert _holders(mail, job_id, NOW) == []
    assert mail.move_legacy(listed[0]) is True
    assert _holders(mail, job_id, NOW) == [("B", _shard_of(job_id, "B"))]
    assert job_id not in [j.job_id for j in mail.legacy_unsent_jobs(limit=EVERYTHING)]
    assert mail.unsent_job_ids(limit=EVERYTHING).count(job_id) == 1
    assert mail.job(job_id) == listed[0]  # only its index keys changed
    assert mail.move_legacy(listed[0]) is False  # moved already


def test_a_moved_transactional_legacy_job_goes_to_a_t_partition(table: Table, mail: MailRepository, uid: Ids) -> None:
    job_id = uid()
    table.put(Put(_legacy_item(job_id)))
    (legacy,) = [j for j in mail.legacy_unsent_jobs(limit=EVERYTHING) if j.job_id == job_id]
    assert mail.move_legacy(legacy) is True
    assert _holders(mail, job_id, NOW) == [("T", _shard_of(job_id, "T"))]
    assert _claimed(mail, legacy, "c1").job_id == job_id


@pytest.mark.parametrize("indexed", [False, True], ids=["as the old code left it", "still under gsi1"])
def test_move_legacy_of_a_sent_job_is_false_and_changes_nothing(table: Table, mail: MailRepository, uid: Ids,
                                                                indexed: bool) -> None:
    job_id = uid()
    item = _legacy_item(job_id, status="sent", indexed=indexed)
    table.put(Put(item))
    assert mail.move_legacy(MailJob.from_item(item)) is False
    assert table.get(MailJob.key(job_id)) == item
    assert _holders(mail, job_id, NOW) == []


def test_move_legacy_of_an_unknown_job_is_false_and_creates_nothing(mail: MailRepository, uid: Ids) -> None:
    job = _job(uid)
    assert mail.move_legacy(job) is False
    assert mail.job(job.job_id) is None


def test_a_legacy_job_can_be_claimed_and_finished_before_it_is_moved(
        table: Table, mail: MailRepository, uid: Ids) -> None:
    job_id = uid()
    table.put(Put(_legacy_item(job_id)))
    claimed = mail.claim(job_id, NOW, 60, "c1")
    assert claimed is not None and claimed.attempts == 0
    mail.finish(job_id, "c1", "sent", LATER, T0 + 999)
    assert job_id not in [j.job_id for j in mail.legacy_unsent_jobs(limit=EVERYTHING)]
    assert job_id not in mail.unsent_job_ids(limit=EVERYTHING)


# -- claim ----------------------------------------------------------------------------------
def test_claim_takes_a_due_pending_job_once_per_lease_without_counting_an_attempt(
        mail: MailRepository, uid: Ids) -> None:
    job = _job(uid, next_attempt_at=T0)
    mail.put_job(job)
    claimed = mail.claim(job.job_id, NOW, 60, "c1")
    assert claimed is not None
    assert (claimed.job_id, claimed.claim_id, claimed.status, claimed.attempts) == (job.job_id, "c1", "pending", 0)
    assert mail.claim(job.job_id, NOW, 60, "c2") is None  # leased
    assert mail.claim(job.job_id, T0 + 60, 60, "c2") is None  # leased to this very second
    again = mail.claim(job.job_id, T0 + 61, 60, "c2")  # the lease ran out
    assert again is not None and (again.claim_id, again.attempts) == ("c2", 0)
    stored = mail.job(job.job_id)
    assert stored is not None and (stored.claim_id, stored.attempts, stored.deferrals) == ("c2", 0, 0)


def test_claim_refuses_a_job_not_due_yet(mail: MailRepository, uid: Ids) -> None:
    job = _job(uid, next_attempt_at=T0 + 1)
    mail.put_job(job)
    assert mail.claim(job.job_id, NOW, 60, "c1") is None
    stored = mail.job(job.job_id)
    assert stored is not None and stored.claim_id is None
    claimed = mail.claim(job.job_id, T0 + 1, 60, "c1")
    assert claimed is not None and claimed.claim_id == "c1"


@pytest.mark.parametrize("status", ["sent", "skipped", "failed"])
def test_claim_refuses_a_finished_job(mail: MailRepository, uid: Ids, status: str) -> None:
    job = _job(uid)
    mail.put_job(job)
    _claimed(mail, job, "c1")
    mail.finish(job.job_id, "c1", status, LATER, T0 + 999)
    assert mail.claim(job.job_id, T0 + 1000, 60, "c2") is None
    stored = mail.job(job.job_id)
    assert stored is not None and (stored.status, stored.claim_id) == (status, "c1")


def test_claim_refuses_an_unknown_job_and_creates_nothing(mail: MailRepository, uid: Ids) -> None:
    unknown = uid()
    assert mail.claim(unknown, NOW, 60, "c1") is None
    assert mail.job(unknown) is None


# -- retry_later ----------------------------------------------------------------------------
@pytest.mark.parametrize("counts_as_attempt, attempts, deferrals", [(False, 0, 1), (True, 1, 0)],
                         ids=["deferral", "attempt"])
def test_retry_later_gives_the_job_back_due_at_a_later_time(table: Table, mail: MailRepository, uid: Ids,
                                                            counts_as_attempt: bool, attempts: int,
                                                            deferrals: int) -> None:
    job = _job(uid, kind="promotional", next_attempt_at=T0)
    mail.put_job(job)
    claimed = _claimed(mail, job, "c1")  # leased until T0 + 60
    mail.retry_later(claimed, "c1", T0 + 30, "deferred:Throttling", counts_as_attempt)
    stored = mail.job(job.job_id)
    assert stored is not None
    assert (stored.status, stored.next_attempt_at, stored.attempts, stored.deferrals, stored.detail,
            stored.claim_id) == ("pending", T0 + 30, attempts, deferrals, "deferred:Throttling", None)
    item = table.get(MailJob.key(job.job_id))
    assert item is not None and "lease_until" not in item
    assert item["mailsk"] == f"{T0 + 30:010d}#{job.job_id}"
    assert job.job_id not in _due(mail, job, NOW)
    assert job.job_id in _due(mail, job, T0 + 30)
    assert mail.claim(job.job_id, T0 + 29, 60, "c2") is None  # not due yet
    again = mail.claim(job.job_id, T0 + 30, 60, "c2")  # due, and the old lease is gone
    assert again is not None and (again.claim_id, again.attempts, again.deferrals) == ("c2", attempts, deferrals)


def test_retry_later_counts_up_from_what_is_stored(mail: MailRepository, uid: Ids) -> None:
    job = _job(uid)
    mail.put_job(job)
    mail.retry_later(_claimed(mail, job, "c1"), "c1", T0, "deferred", False)
    mail.retry_later(_claimed(mail, job, "c2"), "c2", T0, "error", True)
    mail.retry_later(_claimed(mail, job, "c3"), "c3", T0, "deferred", False)
    stored = mail.job(job.job_id)
    assert stored is not None and (stored.attempts, stored.deferrals) == (1, 2)


def test_retry_later_under_a_lost_claim_fails_and_changes_nothing(table: Table, mail: MailRepository,
                                                                  uid: Ids) -> None:
    job = _job(uid, next_attempt_at=T0)
    mail.put_job(job)
    first = _claimed(mail, job, "c1")
    _claimed(mail, job, "c2", now=T0 + 61)  # c1's lease ran out; c2 took the job
    before = table.get(MailJob.key(job.job_id))
    with pytest.raises(ConditionFailed):
        mail.retry_later(first, "c1", T0 + 300, "deferred", False)
    assert table.get(MailJob.key(job.job_id)) == before
    assert job.job_id in _due(mail, job, NOW)


def test_retry_later_of_a_finished_job_fails_even_under_its_claim(table: Table, mail: MailRepository,
                                                                   uid: Ids) -> None:
    job = _job(uid)
    mail.put_job(job)
    claimed = _claimed(mail, job, "c1")
    mail.finish(job.job_id, "c1", "sent", LATER, T0 + 999)
    before = table.get(MailJob.key(job.job_id))
    with pytest.raises(ConditionFailed):
        mail.retry_later(claimed, "c1", T0 + 300, "deferred", False)
    assert table.get(MailJob.key(job.job_id)) == before


# -- finish ---------------------------------------------------------------------------------
@pytest.mark.parametrize("status", ["sent", "skipped"])
def test_finish_under_the_claim_ends_the_job_for_good(table: Table, mail: MailRepository, uid: Ids,
                                                      status: str) -> None:
    job = _job(uid, next_attempt_at=T0)
    mail.put_job(job)
    assert job.job_id in mail.unsent_job_ids(limit=EVERYTHING)
    _claimed(mail, job, "c1")
    mail.finish(job.job_id, "c1", status, LATER, T0 + 999)
    stored = mail.job(job.job_id)
    assert stored is not None
    assert (stored.status, stored.finished_at, stored.expires_at, stored.detail) == (status, LATER, T0 + 999, status)
    item = table.get(MailJob.key(job.job_id))
    assert item is not None and not {"lease_until", "mailpk", "mailsk"} & set(item)
    assert job.job_id not in mail.unsent_job_ids(limit=EVERYTHING)
    assert _holders(mail, job.job_id, T0 + 10_000) == []
    assert job.job_id not in mail.failed_job_ids(AT)


def test_finish_keeps_the_detail_it_is_given(mail: MailRepository, uid: Ids) -> None:
    job = _job(uid)
    mail.put_job(job)
    _claimed(mail, job, "c1")
    mail.finish(job.job_id, "c1", "skipped", LATER, T0 + 999, "suppressed")
    stored = mail.job(job.job_id)
    assert stored is not None and (stored.status, stored.detail) == ("skipped", "suppressed")


def test_a_failed_job_is_listed_by_the_time_it_failed(mail: MailRepository, uid: Ids) -> None:
    job = _job(uid, kind="promotional")
    mail.put_job(job)
    _claimed(mail, job, "c1")
    mail.finish(job.job_id, "c1", "failed", LATER, T0 + 999, "attempts_exhausted:Error")
    stored = mail.job(job.job_id)
    assert stored is not None and (stored.status, stored.detail, stored.expires_at) == (
        "failed", "attempts_exhausted:Error", T0 + 999)
    assert job.job_id in mail.failed_job_ids(AT)  # failed after since
    assert job.job_id in mail.failed_job_ids(LATER)  # failed at since
    assert job.job_id not in mail.failed_job_ids("2027-01-15T10:05:00.001+00:00")  # failed before since
    assert job.job_id in mail.failed_job_ids("")  # no since: every failed job (requeue by campaign alone)
    assert job.job_id not in mail.unsent_job_ids(limit=EVERYTHING)


def test_finish_under_a_lost_claim_fails_and_changes_nothing(table: Table, mail: MailRepository, uid: Ids) -> None:
    job = _job(uid)
    mail.put_job(job)
    _claimed(mail, job, "c1")
    _claimed(mail, job, "c2", now=T0 + 61)
    before = table.get(MailJob.key(job.job_id))
    with pytest.raises(ConditionFailed):
        mail.finish(job.job_id, "c1", "failed", LATER, T0 + 999)
    assert table.get(MailJob.key(job.job_id)) == before
    assert job.job_id not in mail.failed_job_ids(AT)


def test_finish_of_an_unclaimed_or_finished_job_fails(table: Table, mail: MailRepository, uid: Ids) -> None:
    job = _job(uid)
    mail.put_job(job)
    with pytest.raises(ConditionFailed):  # nobody claimed it
        mail.finish(job.job_id, "c1", "sent", LATER, T0 + 999)
    assert mail.job(job.job_id) == job
    _claimed(mail, job, "c1")
    mail.finish(job.job_id, "c1", "sent", LATER, T0 + 999)
    before = table.get(MailJob.key(job.job_id))
    with pytest.raises(ConditionFailed):  # finished already, even under the same claim
        mail.finish(job.job_id, "c1", "failed", "2027-01-15T11:00:00.000+00:00", T0 + 5000)
    assert table.get(MailJob.key(job.job_id)) == before


# -- requeue --------------------------------------------------------------------------------
def test_requeue_makes_a_failed_job_pending_and_due_now(mail: MailRepository, uid: Ids) -> None:
    job = _job(uid, kind="promotional", next_attempt_at=T0)
    mail.put_job(job)
    mail.retry_later(_claimed(mail, job, "c1"), "c1", T0, "error:X", True)
    _claimed(mail, job, "c2")
    mail.finish(job.job_id, "c2", "failed", LATER, T0 + 999, "attempts_exhausted:X")
    failed = mail.job(job.job_id)
    assert failed is not None and failed.attempts == 1
    assert mail.requeue(failed, T0 + 500) is True
    stored = mail.job(job.job_id)
    assert stored is not None
    assert (stored.status, stored.attempts, stored.next_attempt_at, stored.expires_at, stored.finished_at,
            stored.claim_id) == ("pending", 0, T0 + 500, None, None, None)
    assert job.job_id not in mail.failed_job_ids(AT)
    assert job.job_id not in _due(mail, job, T0 + 499)
    assert job.job_id in _due(mail, job, T0 + 500)
    assert job.job_id in mail.unsent_job_ids(limit=EVERYTHING)
    again = mail.claim(job.job_id, T0 + 500, 60, "c3")
    assert again is not None and again.claim_id == "c3"
    assert mail.requeue(stored, T0 + 600) is False  # pending now: no longer failed


@pytest.mark.parametrize("status", ["pending", "sent"])
def test_requeue_of_a_job_that_is_not_failed_is_false_and_changes_nothing(
        table: Table, mail: MailRepository, uid: Ids, status: str) -> None:
    job = _job(uid)
    mail.put_job(job)
    if status != "pending":
        _claimed(mail, job, "c1")
        mail.finish(job.job_id, "c1", status, LATER, T0 + 999)
    before = table.get(MailJob.key(job.job_id))
    assert mail.requeue(job, T0 + 500) is False
    assert table.get(MailJob.key(job.job_id)) == before


@pytest.mark.parametrize("status", ["sent", "skipped", "failed"])
def test_finish_drops_a_typed_address_and_keeps_that_there_was_one(
        table: Table, mail: MailRepository, uid: Ids, status: str) -> None:
    job = _job(uid, to_address="typed@example.org")
    mail.put_job(job)
    assert table.get(MailJob.key(job.job_id))["typed_address"] is True
    _claimed(mail, job, "c1")
    mail.finish(job.job_id, "c1", status, LATER, T0 + 999)
    stored = table.get(MailJob.key(job.job_id))
    assert "to_address" not in stored and stored["typed_address"] is True
    plain = _job(uid)
    mail.put_job(plain)
    assert "typed_address" not in table.get(MailJob.key(plain.job_id))


def test_requeue_refuses_a_job_past_its_retention_or_without_its_typed_address(
        table: Table, mail: MailRepository, uid: Ids) -> None:
    old, typed = _job(uid, kind="promotional"), _job(uid, to_address="typed@example.org")
    for job in (old, typed):
        mail.put_job(job)
        _claimed(mail, job, "c1")
        mail.finish(job.job_id, "c1", "failed", LATER, T0 + 999)
    before = {job.job_id: table.get(MailJob.key(job.job_id)) for job in (old, typed)}
    assert mail.requeue(old, T0 + 999) is False  # expires_at reached: gone, whatever the TTL has not deleted
    assert mail.requeue(typed, T0 + 500) is False  # its address was dropped: it would go to the account's own
    assert {job.job_id: table.get(MailJob.key(job.job_id)) for job in (old, typed)} == before
    assert mail.requeue(old, T0 + 998) is True


def test_requeue_of_an_unknown_job_is_false_and_creates_nothing(mail: MailRepository, uid: Ids) -> None:
    job = _job(uid)
    assert mail.requeue(job, T0) is False
    assert mail.job(job.job_id) is None


# -- suppression ----------------------------------------------------------------------------
def test_suppressions_reports_the_suppressed_among_many_with_their_reasons(table: Table, mail: MailRepository,
                                                                          uid: Ids) -> None:
    hashes = [uid() for _ in range(130)]  # more than one batch of 100
    suppressed = {hashes[0]: "hard_bounce", hashes[64]: "complaint", hashes[129]: "repeated_soft_bounce"}
    for email_hash, reason in suppressed.items():
        assert mail.suppress(email_hash, reason, "2027-01-01") is True
    mail.count_soft_bounce(hashes[1], NOW, 100)  # a counter is no suppression
    forget(table, mail, hashes[2], "2027-01-01")  # nor is a forgotten friend
    assert mail.suppressions(hashes, NOW) == suppressed
    assert mail.suppressions(iter(hashes[:10]), NOW) == {hashes[0]: "hard_bounce"}
    assert mail.suppressions([], NOW) == {}


def test_suppress_writes_the_first_reason(mail: MailRepository, uid: Ids) -> None:
    email_hash = uid()
    assert mail.suppression(email_hash, NOW) is None
    assert mail.suppress(email_hash, "hard_bounce", "2027-01-01") is True
    assert mail.suppression(email_hash, NOW) == "hard_bounce"


def test_suppress_without_keep_never_overwrites(mail: MailRepository, uid: Ids) -> None:
    email_hash = uid()
    mail.suppress(email_hash, "repeated_soft_bounce", "2027-01-01")
    assert mail.suppress(email_hash, "hard_bounce", "2027-01-02") is False
    assert mail.suppression(email_hash, NOW) == "repeated_soft_bounce"


def test_suppress_overwrites_a_reason_not_kept(mail: MailRepository, uid: Ids) -> None:
    email_hash = uid()
    mail.suppress(email_hash, "repeated_soft_bounce", "2027-01-01")
    assert mail.suppress(email_hash, "complaint", "2027-01-02", keep=["complaint", "hard_bounce"]) is True
    assert mail.suppression(email_hash, NOW) == "complaint"


def test_suppress_keeps_a_kept_reason(mail: MailRepository, uid: Ids) -> None:
    email_hash = uid()
    mail.suppress(email_hash, "complaint", "2027-01-01")
    assert mail.suppress(email_hash, "hard_bounce", "2027-01-02", keep=["complaint"]) is False
    assert mail.suppression(email_hash, NOW) == "complaint"


def test_count_soft_bounce_counts_in_a_window_that_restarts(mail: MailRepository, uid: Ids) -> None:
    email_hash, window = uid(), 100
    assert mail.count_soft_bounce(email_hash, NOW, window) == 1
    assert mail.count_soft_bounce(email_hash, NOW + 50, window) == 2
    assert mail.count_soft_bounce(email_hash, NOW + 99, window) == 3
    assert mail.count_soft_bounce(email_hash, NOW + 101, window) == 1  # the window ended: a new one
    assert mail.count_soft_bounce(email_hash, NOW + 150, window) == 2


def forget(table: Table, mail: MailRepository, mailbox: str, at: str) -> None:
    tx = Transaction()
    mail.add_forgotten(tx, mailbox, at)
    table.commit(tx)


def test_a_forgotten_address_stays_forgotten(table: Table, mail: MailRepository, uid: Ids) -> None:
    email_hash = uid()
    assert mail.is_forgotten(email_hash) is False
    forget(table, mail, email_hash, "2027-01-01")
    assert mail.is_forgotten(email_hash) is True
    forget(table, mail, email_hash, "2027-01-02")
    assert mail.is_forgotten(email_hash) is True
    assert mail.is_forgotten(uid()) is False


def test_suppression_and_forgotten_markers_are_separate_items(table: Table, mail: MailRepository,
                                                              uid: Ids) -> None:
    email_hash = uid()
    mail.count_soft_bounce(email_hash, NOW, 100)
    assert mail.suppression(email_hash, NOW) is None  # a counter is no suppression
    table.put(Put({"pk": f"SUPPRESS#{email_hash}", "sk": "SUPPRESS", "reason": "complaint", "at": "x"}))
    assert mail.suppression(email_hash, NOW) == "complaint"
    assert mail.is_forgotten(email_hash) is False


def test_a_suppression_with_an_expiry_ends_then_and_one_can_be_lifted(mail: MailRepository, uid: Ids) -> None:
    soft, hard = uid(), uid()
    assert mail.suppress(soft, "repeated_soft_bounce", AT, expires_at=T0 + 100)
    assert mail.suppress(hard, "hard_bounce", AT)
    assert mail.suppression(soft, NOW) == "repeated_soft_bounce"
    assert mail.suppression(soft, T0 + 100) is None  # ended, though TTL has not deleted it yet
    assert mail.suppressions([soft, hard], T0 + 100) == {hard: "hard_bounce"}
    mail.count_soft_bounce(hard, NOW, 3600)
    assert mail.lift_suppression(hard) is True
    assert mail.suppression(hard, NOW) is None
    assert mail.count_soft_bounce(hard, NOW, 3600) == 1  # the bounce count started over
    assert mail.lift_suppression(uid()) is False

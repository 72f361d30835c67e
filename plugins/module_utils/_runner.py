# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the two modules do: options → plan → send → record → wait; and read statuses. Modules only call these.

Internal use only: this file is not part of the collection's public API and may change without notice.
The runner knows no provider: whatever differs between vendors, it asks the adapter.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._http import ApiClient
from ansible_collections.cdnops.cdn.plugins.module_utils._items import counted, items_from
from ansible_collections.cdnops.cdn.plugins.module_utils._ledger import Ledger, account_fingerprint
from ansible_collections.cdnops.cdn.plugins.module_utils._options import api_client, provider_for
from ansible_collections.cdnops.cdn.plugins.module_utils._planner import SKIP_ACCEPTED, Plan, plan_purge
from ansible_collections.cdnops.cdn.plugins.module_utils._provider import (
    ALL,
    COMPLETED,
    PENDING,
    STATUS_LIST,
    STATUS_NONE,
    Accepted,
    Batch,
    Provider,
)
from ansible_collections.cdnops.cdn.plugins.module_utils._registry import PROVIDERS

MAX_STATUS_CONCURRENCY = 8


def _purge_request(request_id: str | None, kind: str, paths: list[str], status: str, maybe_accepted_twice: bool = False) -> dict[str, Any]:
    # maybe_accepted_twice: an answer was lost after the request went out and it was sent again.
    return {"request_id": request_id, "kind": kind, "paths": paths, "status": status, "maybe_accepted_twice": maybe_accepted_twice}


def _distinct_ids(purge_requests: Any) -> list[str]:
    """The non-null request ids, first occurrence first."""
    return list(dict.fromkeys(item["request_id"] for item in purge_requests if item["request_id"] is not None))


Recorder = Callable[[dict[str, Any]], None]


@contextlib.contextmanager
def _reserved(provider: Provider, settings: dict[str, Any], check_mode: bool) -> Iterator[tuple[dict[str, Any], Recorder | None]]:
    """(what the ledger says was accepted under the key, how to record a purge request), for the plan and the sending.

    With a key, the run holds the scope's reservation from reading the ledger to its last record, so a concurrent
    run with the same key waits and then sends only what this one did not. Check mode and keyless runs write nothing.
    """
    key = settings["idempotency_key"]
    if key is None:
        yield {}, None
        return
    ledger = Ledger(settings["idempotency_file"])
    scope = Ledger.scope(provider.name, provider.target_id(), key, account_fingerprint(provider.secrets), provider.api_base_url)
    if check_mode:
        yield ledger.accepted(scope), None
        return
    ledger.check_usable()  # before anything is sent: a ledger that cannot be written must not hide a purge
    with ledger.reserve(scope) as run:
        yield run.accepted, run.record


# --- stage 1: options ----------------------------------------------------------------------------------------------
def _prepare(params: dict[str, Any]) -> tuple[Provider, dict[str, Any]]:
    provider = provider_for(params)
    settings = provider.params
    if settings["soft_purge"] and not provider.supports_soft_purge:
        offered = ", ".join(name for name, adapter in PROVIDERS.items() if adapter.supports_soft_purge)
        raise CdnError("soft_purge is not supported by provider %s (only by %s)" % (provider.name, offered), provider=provider.name)
    provider.credential_values()  # a missing credential is an error in check mode too
    return provider, settings


# --- stage 2: plan -------------------------------------------------------------------------------------------------
def _plan(provider: Provider, settings: dict[str, Any], items: dict[str, list[Any]], accepted: dict[str, Any]) -> Plan:
    return plan_purge(provider, items, settings["batch_size"], settings["max_requests"], accepted, purge_all=settings["purge_all"])


# --- stage 3: send -------------------------------------------------------------------------------------------------
def _send_batches(provider: Provider, client: ApiClient, batches: list[Batch], concurrency: int, record: Recorder | None) -> list[dict[str, Any]]:
    """Send every batch, recording each accepted one at once; return the purge requests, or raise CdnError listing
    what was accepted.

    Batched providers send in order, one at a time; providers whose requests are independent send `concurrency`
    at a time on the one session. After a failure (or a failure to record) nothing new is started.
    """
    initial = COMPLETED if provider.synchronous else PENDING
    results: list[dict[str, Any] | None] = [None] * len(batches)
    errors: list[tuple[int, CdnError, list[str]]] = []
    unrecorded: list[CdnError] = []
    stop = threading.Event()

    def send(index: int) -> None:
        if stop.is_set():
            return
        batch = batches[index]
        try:
            client.start_exchange()
            answer = provider.purge(client, batch.kind, batch.values)
            request_id, extra = (answer.request_id, answer.extra) if isinstance(answer, Accepted) else (answer, {})
            twice = client.lost_answers > 0 and not provider.idempotent_purges
            results[index] = accepted = _purge_request(request_id, batch.kind, batch.keys, initial, twice)
            accepted.update(extra)
        except CdnError as exc:
            # Its answer lost after sending, or a success answer that cannot be used: the provider may have acted on it.
            errors.append((index, exc, batch.keys if client.lost_answers or exc.maybe_accepted else []))
            stop.set()
            return
        if record is not None:
            try:
                record(accepted)
            except CdnError as exc:
                unrecorded.append(exc)
                stop.set()

    workers = min(concurrency, len(batches))
    if workers <= 1:
        for index in range(len(batches)):
            send(index)
            if stop.is_set():
                break
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            try:
                list(pool.map(send, range(len(batches))))
            except BaseException:
                # Ctrl-C (KeyboardInterrupt) reaches this thread only: the workers start nothing new either.
                stop.set()
                raise
    accepted = [result for result in results if result is not None]
    if errors:
        raise _partial_failure(provider, batches, accepted, errors)
    if unrecorded:
        # The purges were accepted: the result keeps them and their ids; only the ledger missed them.
        failure = CdnError("%s; nothing new was sent after it" % unrecorded[0].message, provider=provider.name)
        raise _partial_failure(provider, batches, accepted, [(len(batches), failure, [])])
    return accepted


def _partial_failure(provider: Provider, batches: list[Batch], accepted: list[dict[str, Any]], errors: list[tuple[int, CdnError, list[str]]]) -> CdnError:
    errors.sort(key=lambda item: item[0])
    first = errors[0][1]
    purged = [path for result in accepted for path in result["paths"]]
    done = set(purged)
    more = " (%d purge requests failed)" % len(errors) if len(errors) > 1 else ""
    return CdnError(
        "%s%s; %d of %d purge requests were accepted before the failure" % (first.message, more, len(accepted), len(batches)),
        provider=provider.name,
        http_status=first.http_status,
        provider_message=first.provider_message,
        details={
            "purge_requests": accepted,
            "request_ids": _distinct_ids(accepted),
            "paths_purged": purged,
            "paths_remaining": [key for batch in batches for key in batch.keys if key not in done],
            # Sent, answer lost, then failed: the provider may have accepted these (they are in paths_remaining too).
            "paths_uncertain": [path for _index, _exc, lost in errors for path in lost],
        },
    )


# --- stage 5: wait -------------------------------------------------------------------------------------------------
def start_wait(client: ApiClient, params: dict[str, Any]) -> float:
    """The wall-clock end of waiting; the client holds every request, retry and back-off to it as well."""
    deadline = time.monotonic() + params["wait_timeout"]
    # The last poll may start just before the deadline: it gets one request's time (so wait_timeout=0 reads once).
    client.set_deadline(deadline + params["timeout"], "wait_timeout=%ss" % params["wait_timeout"])
    return deadline


def wait_for(
    provider: Provider, poll: Callable[[list[str]], dict[str, str]], statuses: dict[str, str], params: dict[str, Any], deadline: float
) -> dict[str, str]:
    """Poll until every id is Completed; return {id: vendor status}. Past the deadline raise, naming the Pending ones.

    statuses holds what is known now; poll(pending_ids) returns fresh words for those ids.
    """
    statuses = dict(statuses)
    while True:
        provider.check_status_words(statuses)
        pending = [request_id for request_id, word in statuses.items() if provider.contract_status(word) != COMPLETED]
        if not pending:
            return statuses
        if time.monotonic() + params["poll_interval"] > deadline:
            raise CdnError(
                "%s: %d purge requests still Pending after wait_timeout=%ss: %s" % (provider.name, len(pending), params["wait_timeout"], ", ".join(pending)),
                provider=provider.name,
                details={"pending_request_ids": pending, "statuses": _status_list(provider, statuses)},
            )
        time.sleep(params["poll_interval"])
        statuses.update(poll(pending))


def _status_list(provider: Provider, statuses: dict[str, str]) -> list[dict[str, Any]]:
    # A word the adapter does not know is only listed (an error when asked for by id): shown as the vendor says it.
    return [{"request_id": request_id, "status": provider.contract_status(word) or word, "provider_status": word} for request_id, word in statuses.items()]


def _wait_for_purges(provider: Provider, client: ApiClient, result: dict[str, Any], settings: dict[str, Any], workers: int) -> None:
    ids = result["request_ids"]
    try:
        deadline = start_wait(client, settings)
        statuses = wait_for(provider, lambda pending: provider.statuses(client, pending, workers), provider.statuses(client, ids, workers), settings, deadline)
    except CdnError as exc:
        exc.details.update(purge_requests=result["purge_requests"], request_ids=ids, api_requests=client.requests_sent)
        raise
    for purge_request in result["purge_requests"]:
        if purge_request["request_id"] in statuses:
            purge_request["status"] = provider.contract_status(statuses[purge_request["request_id"]])
    result["status"] = COMPLETED


def _wait_estimate(provider: Provider, result: dict[str, Any], settings: dict[str, Any]) -> None:
    """No status API, but the provider estimates when each purge is done: wait the largest estimate, and say so."""
    estimate = max((float(item.get("estimated_seconds") or 0) for item in result["purge_requests"]), default=0.0)
    if estimate > settings["wait_timeout"]:
        raise CdnError(
            "%s estimates %gs until its purges are done, longer than wait_timeout=%ss: the purge requests were accepted; "
            "raise wait_timeout to wait for them, or set wait: false" % (provider.name, estimate, settings["wait_timeout"]),
            provider=provider.name,
            details={"purge_requests": result["purge_requests"], "request_ids": result["request_ids"]},
        )
    time.sleep(estimate)
    for purge_request in result["purge_requests"]:
        purge_request["status"] = COMPLETED
    result["waited_seconds"] = estimate
    result["status"] = COMPLETED


def _diff(provider: Provider, plan: Plan, return_items: bool) -> dict[str, str]:
    whole = any(batch.kind == ALL for batch in plan.batches)
    if whole:
        after = "<the whole %s target>\n" % provider.name
    elif return_items:
        after = "".join(path + "\n" for path in plan.paths)
    else:
        after = "<%d items, not listed: return_items=false>\n" % len(plan.paths)
    return {"before": "", "after": after, "before_header": "%s cache" % provider.name, "after_header": "purged"}


def run_purge(params: dict[str, Any], check_mode: bool = False, diff: bool = False) -> dict[str, Any]:
    """The cdn_purge module: the result dict, or CdnError; with return_items false, counts in place of item lists."""
    provider, settings = _prepare(params)
    items, return_items = items_from(settings)
    try:
        result = _run_purge(provider, settings, items, return_items, check_mode, diff)
    except CdnError as exc:
        if not return_items:
            exc.details = counted(exc.details)
        raise
    return result if return_items else counted(result)


def _run_purge(provider: Provider, settings: dict[str, Any], items: dict[str, list[Any]], return_items: bool, check_mode: bool, diff: bool) -> dict[str, Any]:
    workers = settings["concurrency"] if provider.concurrent else 1
    client = None
    try:
        with _reserved(provider, settings, check_mode) as (accepted, record):
            plan = _plan(provider, settings, items, accepted)
            result = _planned_result(provider, plan, return_items, diff)
            recorded_ids = result["request_ids"]
            # Nothing to send: done, unless the caller waits on purges an earlier run submitted under the key.
            wait_on_recorded = settings["wait"] and recorded_ids and not provider.synchronous
            if check_mode or not (plan.batches or wait_on_recorded):
                result["purge_requests"] = [_purge_request(None, batch.kind, batch.keys, PENDING) for batch in plan.batches]
                if plan.batches:
                    result["status"] = PENDING
                return result
            client = api_client(provider, settings, pool_size=workers)
            try:
                purge_requests = _send_batches(provider, client, plan.batches, workers, record)
            except CdnError as exc:
                exc.details["api_requests"] = client.requests_sent
                raise
        # The reservation is released: another run with the key need not sit through this one's waiting.
        result["purge_requests"] = purge_requests
        result["request_ids"] = list(dict.fromkeys(_distinct_ids(purge_requests) + recorded_ids))
        if provider.synchronous:
            result["status"] = COMPLETED
        elif settings["wait"] and provider.status_model == STATUS_NONE:
            _wait_estimate(provider, result, settings)
        elif settings["wait"]:
            _wait_for_purges(provider, client, result, settings, workers)
        else:
            result["status"] = PENDING
        result["api_requests"] = client.requests_sent
        return result
    finally:
        if client is not None:
            client.close()


def _planned_result(provider: Provider, plan: Plan, return_items: bool, diff: bool) -> dict[str, Any]:
    recorded_ids = _distinct_ids(item for item in plan.skipped if item["reason"] == SKIP_ACCEPTED)
    result: dict[str, Any] = {
        "changed": bool(plan.batches),
        "provider": provider.name,
        "paths": plan.paths,
        # Not "skipped": a truthy "skipped" makes Ansible report the task as skipped.
        "skipped_paths": plan.skipped,
        "purge_requests": [],
        "request_ids": recorded_ids,
        "status": COMPLETED if provider.synchronous or not recorded_ids else PENDING,
        "api_requests": 0,
    }
    if diff and plan.batches:
        result["diff"] = _diff(provider, plan, return_items)
    return result


def run_status(params: dict[str, Any]) -> dict[str, Any]:
    """The cdn_purge_status module: the result dict, or CdnError."""
    provider = provider_for(params)
    settings = provider.params
    request_ids = [settings["request_id"]] if settings["request_id"] is not None else settings["request_ids"]
    if provider.status_model == STATUS_NONE:
        raise provider.no_status_api()
    listing = provider.status_model == STATUS_LIST or (request_ids is None and provider.lists_recent_purges)
    if request_ids is None and not listing:
        raise CdnError("give request_id or request_ids: provider %s cannot list its purge requests" % provider.name, provider=provider.name)
    if request_ids is not None:
        if not request_ids:
            raise CdnError("request_ids is empty: give at least one request id", provider=provider.name)
        request_ids = list(dict.fromkeys(request_ids))
        for request_id in request_ids:
            provider.check_request_id(request_id)

    concurrency = min(MAX_STATUS_CONCURRENCY, len(request_ids or [None]))
    client = api_client(provider, settings, pool_size=concurrency)
    listed: dict[str, dict[str, Any]] = {}

    def poll(pending: list[str] | None) -> dict[str, str]:
        if not listing:
            return provider.statuses(client, pending or [], concurrency)
        # One list call answers for every id.
        entries = provider.purge_list(client)
        listed.clear()
        listed.update((entry["request_id"], entry) for entry in entries)
        return provider.statuses_from_list(entries, pending)

    try:
        deadline = start_wait(client, settings) if settings["wait"] else 0.0
        statuses = poll(request_ids)
        if request_ids is not None:
            provider.check_status_words(statuses)
        if settings["wait"]:
            statuses = wait_for(provider, poll, statuses, settings, deadline)
        result: dict[str, Any] = {"changed": False, "provider": provider.name, "statuses": _status_list(provider, statuses)}
        result["status"] = COMPLETED if all(item["status"] == COMPLETED for item in result["statuses"]) else PENDING
        if listing:
            result["purges"] = [
                {key: entry[key] for key in ("request_id", "created_at", "status", "paths")} for entry in listed.values() if entry["request_id"] in statuses
            ]
        result["api_requests"] = client.requests_sent
        return result
    except CdnError as exc:
        exc.details["api_requests"] = client.requests_sent
        raise
    finally:
        client.close()

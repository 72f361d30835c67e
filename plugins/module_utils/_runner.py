# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the two modules do: plan, send, record, wait; and read statuses. Modules only call these."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._ledger import PURGE_ALL, Ledger
from ansible_collections.cdnops.cdn.plugins.module_utils._options import api_client, provider_for
from ansible_collections.cdnops.cdn.plugins.module_utils._planner import SKIP_ACCEPTED, plan_purge
from ansible_collections.cdnops.cdn.plugins.module_utils._provider import COMPLETED, PENDING

MAX_STATUS_CONCURRENCY = 8


def _purge_request(request_id, paths, status, maybe_accepted_twice=False):
    # maybe_accepted_twice: an answer was lost after the request went out and it was sent again.
    return {"request_id": request_id, "paths": paths, "status": status, "maybe_accepted_twice": maybe_accepted_twice}


def _distinct_ids(purge_requests):
    """The non-null request ids, first occurrence first."""
    return list(dict.fromkeys(item["request_id"] for item in purge_requests if item["request_id"] is not None))


def _send_batches(provider, client, batches, concurrency):
    """Send every batch; return the purge requests, or raise CdnError listing what was accepted.

    The caller passes concurrency 1 for batched providers, which then send in order; ImageKit's one-URL
    requests run `concurrency` at a time on the one session. After a failure nothing new is started.
    """
    initial = PENDING if not provider.synchronous else COMPLETED
    results = [None] * len(batches)
    errors = []
    stop = threading.Event()

    def send(index):
        if stop.is_set():
            return
        kind, paths = batches[index]
        try:
            request_id = provider.purge(client, kind, paths)
            results[index] = _purge_request(request_id, paths, initial, client.lost_answers > 0)
        except CdnError as exc:
            errors.append((index, exc, paths if client.lost_answers else []))
            stop.set()

    workers = min(concurrency, len(batches))
    if workers <= 1:
        for index in range(len(batches)):
            send(index)
            if stop.is_set():
                break
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(send, range(len(batches))))
    accepted = [result for result in results if result is not None]
    if errors:
        errors.sort(key=lambda item: item[0])
        first = errors[0][1]
        purged = [path for result in accepted for path in result["paths"]]
        done = set(purged)
        remaining = [path for _kind, paths in batches for path in paths if path not in done]
        more = " (%d purge requests failed)" % len(errors) if len(errors) > 1 else ""
        raise CdnError(
            "%s%s; %d of %d purge requests were accepted before the failure" % (first.message, more, len(accepted), len(batches)),
            provider=provider.name,
            http_status=first.http_status,
            provider_message=first.provider_message,
            details={
                "purge_requests": accepted,
                "request_ids": _distinct_ids(accepted),
                "paths_purged": purged,
                "paths_remaining": remaining,
                # Sent, answer lost, then failed: the provider may have accepted these (they are in paths_remaining too).
                "paths_uncertain": [path for _index, _exc, lost in errors for path in lost],
            },
        )
    return accepted


def wait_for(provider, poll, statuses, params):
    """Poll until every id is Completed; return {id: vendor status}. Past wait_timeout raise, naming the Pending ones.

    statuses holds what is known now; poll(pending_ids) returns fresh words for those ids.
    """
    deadline = time.monotonic() + params["wait_timeout"]
    statuses = dict(statuses)
    while True:
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


def _status_list(provider, statuses):
    return [{"request_id": request_id, "status": provider.contract_status(word), "provider_status": word} for request_id, word in statuses.items()]


def _diff(provider, paths, purge_all):
    after = "<the whole %s target>\n" % provider.name if purge_all else "".join(path + "\n" for path in paths)
    return {"before": "", "after": after, "before_header": "%s cache" % provider.name, "after_header": "purged"}


def run_purge(params, check_mode=False, diff=False):
    """The cdn_purge module: the result dict, or CdnError."""
    provider = provider_for(params)
    purge_all = params["purge_all"]
    # Checked on values, not on presence: templates often pass purge_all: false beside paths.
    if purge_all and params["paths"]:
        raise CdnError("paths and purge_all=true are mutually exclusive: purge_all purges everything, give no paths with it")
    if purge_all and not provider.supports_purge_all:
        raise CdnError("purge_all is not supported by provider %s (it has no purge-all API); list paths or prefixes" % provider.name, provider=provider.name)
    if params["soft_purge"] and not provider.supports_soft_purge:
        raise CdnError("soft_purge is only supported by provider 5centscdn, not by %s" % provider.name, provider=provider.name)
    provider.credential_values()  # a missing credential is an error in check mode too

    key = params["idempotency_key"]
    ledger = scope = None
    accepted = {}
    if key is not None:
        ledger = Ledger(params["idempotency_file"])
        scope = Ledger.scope(provider.name, provider.target_id(), key)
        accepted = ledger.accepted(scope)

    batch_size = params["batch_size"] or provider.default_batch_size
    if purge_all:
        skipped = [{"path": PURGE_ALL, "reason": SKIP_ACCEPTED, "request_id": accepted[PURGE_ALL]}] if PURGE_ALL in accepted else []
        plan_paths, batches = [], ([] if skipped else [("all", [])])
    else:
        plan = plan_purge(provider, params["paths"] or [], batch_size, params["max_requests"], accepted)
        skipped, plan_paths, batches = plan.skipped, plan.paths, plan.batches

    recorded_ids = _distinct_ids(item for item in skipped if item["reason"] == SKIP_ACCEPTED)
    result = {
        "changed": bool(batches),
        "provider": provider.name,
        "paths": plan_paths,
        # The contract calls this "skipped", but a truthy "skipped" makes Ansible report the task as skipped.
        "skipped_paths": skipped,
        "purge_requests": [],
        "request_ids": recorded_ids,
        "status": COMPLETED if provider.synchronous or not recorded_ids else PENDING,
        "api_requests": 0,
    }
    if diff and batches:
        result["diff"] = _diff(provider, plan_paths, purge_all)
    # Nothing to send: done, unless the caller waits on purges an earlier run submitted under the key.
    wait_on_recorded = params["wait"] and recorded_ids and not provider.synchronous
    if check_mode or not (batches or wait_on_recorded):
        result["purge_requests"] = [_purge_request(None, paths, PENDING) for _kind, paths in batches]
        if batches:
            result["status"] = PENDING
        return result

    workers = params["concurrency"] if provider.max_batch_size == 1 else 1
    client = api_client(provider, params, pool_size=workers)
    try:
        try:
            if not batches:
                purge_requests = []
            elif purge_all:
                provider.purge_everything(client)
                purge_requests = [_purge_request(None, [], COMPLETED, client.lost_answers > 0)]
            else:
                purge_requests = _send_batches(provider, client, batches, workers)
        except CdnError as exc:
            if ledger is not None:
                ledger.record(scope, provider.name, provider.target_id(), key, exc.details.get("purge_requests"))
            exc.details["api_requests"] = client.requests_sent
            raise
        if ledger is not None:
            ledger.record(scope, provider.name, provider.target_id(), key, purge_requests)
        result["purge_requests"] = purge_requests
        result["request_ids"] = list(dict.fromkeys(_distinct_ids(purge_requests) + recorded_ids))
        if provider.synchronous:
            result["status"] = COMPLETED
        elif params["wait"]:
            try:
                ids = result["request_ids"]
                statuses = wait_for(provider, lambda pending: provider.statuses(client, pending, workers), provider.statuses(client, ids, workers), params)
            except CdnError as exc:
                exc.details.update(purge_requests=purge_requests, request_ids=result["request_ids"], api_requests=client.requests_sent)
                raise
            for purge_request in purge_requests:
                purge_request["status"] = provider.contract_status(statuses[purge_request["request_id"]])
            result["status"] = COMPLETED
        else:
            result["status"] = PENDING
        result["api_requests"] = client.requests_sent
        return result
    finally:
        client.close()


def run_status(params):
    """The cdn_purge_status module: the result dict, or CdnError."""
    provider = provider_for(params)
    request_ids = [params["request_id"]] if params["request_id"] is not None else params["request_ids"]
    if provider.synchronous:
        provider.statuses(None, request_ids or [])  # raises: these providers have no status API
    if request_ids is None and not provider.supports_purge_list:
        raise CdnError("give request_id or request_ids: provider %s cannot list its purge requests" % provider.name, provider=provider.name)
    if request_ids is not None:
        if not request_ids:
            raise CdnError("request_ids is empty: give at least one request id", provider=provider.name)
        request_ids = list(dict.fromkeys(request_ids))
        for request_id in request_ids:
            provider.check_request_id(request_id)

    concurrency = min(MAX_STATUS_CONCURRENCY, len(request_ids or [None]))
    client = api_client(provider, params, pool_size=concurrency)
    listed = {}

    def poll(pending):
        if not provider.supports_purge_list:
            return provider.statuses(client, pending, concurrency)
        # One list call answers for every id.
        entries = provider.purge_list(client)
        listed.clear()
        listed.update((entry["request_id"], entry) for entry in entries)
        return provider.statuses_from_list(entries, pending)

    try:
        statuses = poll(request_ids)
        if params["wait"]:
            statuses = wait_for(provider, poll, statuses, params)
        result = {"changed": False, "provider": provider.name, "statuses": _status_list(provider, statuses)}
        result["status"] = COMPLETED if all(item["status"] == COMPLETED for item in result["statuses"]) else PENDING
        if provider.supports_purge_list:
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

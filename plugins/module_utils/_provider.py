# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every provider adapter declares and provides: the one place a provider's knowledge lives.

Internal use only: this file is not part of the collection's public API and may change without notice.

An adapter declares its options (target options and credentials, with their environment variables), the purge
kinds it has with their batch limits, whether its requests may run concurrently, whether it purges
synchronously and how its status is read. It builds its requests and reads its answers, and gives two hooks to
the shared HTTP layer: how long a rate-limit answer asks to wait, and what an error body says. The argument
spec, the doc fragment, the role's choices and the tests' tables are derived from these declarations.
"""

from __future__ import annotations

import os
import re
from typing import Any

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError, error_words

# Statuses of the contract; a vendor's own word is mapped onto these.
COMPLETED = "Completed"
PENDING = "Pending"

# Purge kinds, in the order batches are sent. url and prefix come from paths; the others from their own options.
URL, PREFIX, TAG, HOST, CP_CODE, ALL = "url", "prefix", "tag", "host", "cp_code", "all"
KINDS = (URL, PREFIX, TAG, HOST, CP_CODE, ALL)
# The cdn_purge option each kind comes from, and how its items are named in results and in the ledger.
KIND_OPTION = {URL: "paths", PREFIX: "paths", TAG: "tags", HOST: "hosts", CP_CODE: "cp_codes", ALL: "purge_all"}
KIND_LABEL = {TAG: "tag:", HOST: "host:", CP_CODE: "cp_code:"}
KIND_WORDS = {URL: "URL purge", PREFIX: "prefix purge", TAG: "tag purge", HOST: "host purge", CP_CODE: "CP code purge", ALL: "purge-all API"}

# Status models: how purge status is read after a purge.
STATUS_NONE = "none"  # synchronous: done when accepted
STATUS_PER_ID = "per_id"  # one status request per id
STATUS_LIST = "list"  # one list call answers for every id

_EXTENSION = re.compile(r"\.[A-Za-z0-9]+$")
# Request ids go into URLs: nothing that could walk to another endpoint.
# \Z, not $: $ also matches before a trailing newline, which would let "key\n" through.
REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}\Z")
_CREDENTIAL = re.compile(r"^[\x21-\x7e]+\Z")
_HOSTNAME = re.compile(r"^(?=.{1,253}\Z)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\Z")


MAX_SHOWN = 120


def shown(value: Any) -> str:
    """value quoted for a message, bounded: a 10 MB path must not make a 10 MB error."""
    text = repr(value)
    if len(text) <= MAX_SHOWN:
        return text
    return "%s... (%d characters)" % (text[: MAX_SHOWN - 20], len(value) if isinstance(value, str) else len(text))


def has_extension(path: str) -> bool:
    """True when the last segment of path names a file with an extension (/img/logo.png)."""
    last = path.rsplit("/", 1)[-1]
    return bool(last) and bool(_EXTENSION.search(last))


def is_hostname(value: str) -> bool:
    return bool(_HOSTNAME.match(value))


class Option:
    """One option a provider uses: a target option or a credential.

    env: environment variables read, in order, when the option is not given (credentials only).
    required: a target option the provider cannot do without, or a credential that must resolve.
    description: what the option means for this provider (one sentence; the doc fragment is built from it).
    """

    def __init__(
        self,
        name: str,
        description: str,
        type: str = "str",  # noqa: A002 - the argument spec's own word
        required: bool = False,
        env: tuple[str, ...] = (),
        no_log: bool = False,
        choices: tuple[str, ...] | None = None,
        aliases: tuple[str, ...] = (),
        elements: str | None = None,
    ) -> None:
        self.name = name
        self.description = description
        self.type = type
        self.required = required
        self.env = tuple(env)
        self.no_log = no_log
        self.choices = choices
        self.aliases = tuple(aliases)
        self.elements = elements

    def spec(self) -> dict[str, Any]:
        """The argument-spec entry; no default, no required: both depend on the provider chosen."""
        spec: dict[str, Any] = {"type": self.type, "no_log": self.no_log}
        if self.choices:
            spec["choices"] = list(self.choices)
        if self.aliases:
            spec["aliases"] = list(self.aliases)
        if self.elements:
            spec["elements"] = self.elements
        return spec


def credential(name: str, description: str, *env: str, required: bool = True, aliases: tuple[str, ...] = ()) -> Option:
    """A secret option: never logged, read from env when not given."""
    return Option(name, description, required=required, env=env, no_log=True, aliases=aliases)


class Kind:
    """A purge kind a provider offers: items per request by default and at most (None: no documented maximum).

    limit_words: how requests are cut when it is not by count (the adapter's make_batches does it), for the docs."""

    def __init__(self, default_batch: int | None = None, max_batch: int | None = None, limit_words: str | None = None) -> None:
        self.default_batch = default_batch
        self.max_batch = max_batch
        self.limit_words = limit_words


class PlannedItem:
    """One item as it will be sent.

    value: what goes into the request; key: how it is named in results and in the ledger (a path, or tag:NAME);
    prefix: the string it covers when it is a prefix purge (paths under it are dropped).
    """

    __slots__ = ("key", "kind", "prefix", "value")

    def __init__(self, value: Any, kind: str = URL, prefix: str | None = None, key: str | None = None) -> None:
        self.value = value
        self.kind = kind
        self.prefix = prefix
        self.key = key if key is not None else KIND_LABEL.get(kind, "") + str(value)

    # Kept for readability where only paths are involved.
    @property
    def path(self) -> str:
        return self.key


class Batch:
    """One purge request: its kind and items."""

    __slots__ = ("items", "kind")

    def __init__(self, kind: str, items: list[PlannedItem]) -> None:
        self.kind = kind
        self.items = items

    @property
    def values(self) -> list[Any]:
        return [item.value for item in self.items]

    @property
    def keys(self) -> list[str]:
        return [item.key for item in self.items]


class Accepted:
    """What purge() may return instead of a bare request id: the id and further facts of the purge request, which
    go into its entry of purge_requests (for example estimated_seconds)."""

    __slots__ = ("extra", "request_id")

    def __init__(self, request_id: str | None, **extra: Any) -> None:
        self.request_id = request_id
        self.extra = extra


class Provider:
    """Base of the adapters: what a vendor offers, how its requests are built and its answers read."""

    name: str = ""
    title: str = ""  # the vendor's own spelling, for docs
    default_api_base_url: str = ""
    options: tuple[Option, ...] = ()
    kinds: dict[str, Kind] = {}
    # Requests are independent (one item each): they may run `concurrency` at a time on one session.
    concurrent: bool = False
    # The purge is done when the API answers; there is no status API.
    synchronous: bool = False
    status_model: str = STATUS_NONE
    supports_soft_purge: bool = False
    # A rate-limit answer (429) is waited out and the request resent, within wait_timeout, instead of failing.
    waits_out_rate_limits: bool = False
    # Environment variables read for api_base_url when it is not given (a provider without one common API host).
    base_url_env: tuple[str, ...] = ()
    # A purge request resent after a lost answer is known not to be acted on twice (CloudFront's CallerReference
    # returns the first invalidation): no maybe_accepted_twice.
    idempotent_purges: bool = False
    # cdn_purge_status without ids lists the recent purges (purge_list, statuses_from_list) although ids are read one
    # by one (status_model per_id); STATUS_LIST providers always list.
    lists_recent_purges: bool = False
    default_wait_timeout: int = 300
    default_poll_interval: float = 2.0
    # What the user is told instead of a kind the provider lacks (kind → advice).
    kind_advice: dict[str, str] = {}
    # The vendor's status words and what they mean; any other word is reported at once (providers with a status API).
    status_words: dict[str, str] = {}

    def __init__(self, params: dict[str, Any], all_options: frozenset[str] = frozenset()) -> None:
        self.params = params
        self.secrets: tuple[str, ...] = ()
        self.api_base_url = self.default_api_base_url
        self.check_options(params, all_options)

    # --- declarations, read by the registry and the docs generator ---------------------------------------------
    @classmethod
    def option_names(cls) -> set[str]:
        return {option.name for option in cls.options}

    @classmethod
    def credential_options(cls) -> tuple[Option, ...]:
        return tuple(option for option in cls.options if option.no_log)

    @classmethod
    def target_options(cls) -> tuple[Option, ...]:
        return tuple(option for option in cls.options if not option.no_log)

    @classmethod
    def environment_variables(cls) -> tuple[str, ...]:
        return tuple(env for option in cls.options for env in option.env) + cls.base_url_env

    @classmethod
    def max_batch_size(cls) -> int | None:
        """The largest per-request maximum over the kinds with items (None: some kind has no maximum)."""
        limits = [kind.max_batch for name, kind in cls.kinds.items() if name != ALL]
        return None if not limits or None in limits else max(limit for limit in limits if limit is not None)

    # --- options -------------------------------------------------------------------------------------------------
    def check_options(self, params: dict[str, Any], all_options: frozenset[str] = frozenset()) -> None:
        """Options of other providers are an error; required target options must be given."""
        used = self.option_names()
        for name in sorted(all_options - used):
            if params.get(name) is not None:
                raise CdnError(
                    "option %s is not used by provider %s (it takes %s)" % (name, self.name, ", ".join(sorted(used)) or "no target options"),
                    provider=self.name,
                )
        for option in self.target_options():
            if option.required and params.get(option.name) is None:
                raise CdnError("option %s is required for provider %s" % (option.name, self.name), provider=self.name)

    def credential_value(self, option: Option) -> str | None:
        """The option's value, else the first of its environment variables that is set."""
        value = self.params.get(option.name)
        if value is None:
            for env in option.env:
                if os.environ.get(env):
                    return os.environ[env]
        return value

    def credential_values(self) -> dict[str, str]:
        """Every credential, resolved and checked; the message names the option, never the value."""
        values = {}
        for option in self.credential_options():
            value = self.credential_value(option)
            if not value:
                if not option.required:
                    continue
                raise CdnError(
                    "option %s is required for provider %s: set it in the task, in module_defaults "
                    "(group/cdnops.cdn.cdn) or in the environment variable %s" % (option.name, self.name, " or ".join(option.env)),
                    provider=self.name,
                )
            values[option.name] = self.checked_credential("option %s" % option.name, value)
        self.secrets = tuple(values.values())
        return values

    def checked_credential(self, label: str, value: str) -> str:
        """value, when it can travel in (or sign) an HTTP header; the message names label (the option, or where the
        value was read), never the value."""
        if not _CREDENTIAL.match(value):
            raise CdnError("%s for provider %s must be printable ASCII without spaces (letters, digits, punctuation)" % (label, self.name), provider=self.name)
        return value

    def target_id(self) -> str:
        """What identifies the purged target in the idempotency ledger."""
        raise NotImplementedError

    def client_settings(self, credentials: dict[str, str]) -> tuple[dict[str, str], Any]:
        """(headers, auth) for the shared session."""
        raise NotImplementedError

    # --- planning ------------------------------------------------------------------------------------------------
    @classmethod
    def offered_options(cls) -> list[str]:
        """The cdn_purge options that name what this provider can purge."""
        return sorted({KIND_OPTION[name] for name in cls.kinds})

    def missing_kind(self, kind: str, option: str) -> CdnError:
        advice = self.kind_advice.get(kind)
        return CdnError(
            "%s is not supported by provider %s: it has no %s; it offers %s%s"
            % (option, self.name, KIND_WORDS[kind], ", ".join(self.offered_options()), "; " + advice if advice else ""),
            provider=self.name,
        )

    def batch_size_for(self, kind: str, batch_size: int | None) -> int:
        """Items per request for kind: the user's batch_size capped at the kind's maximum, else its default."""
        spec = self.kinds[kind]
        size = batch_size or spec.default_batch or 100
        return min(size, spec.max_batch) if spec.max_batch else size

    def check_batch_size(self, batch_size: int) -> None:
        if batch_size < 1:
            raise CdnError("batch_size=%d must be at least 1" % batch_size, provider=self.name)
        maximum = self.max_batch_size()
        if maximum is not None and batch_size > maximum:
            raise CdnError(
                "batch_size=%d is above %s's documented maximum of %s items per request" % (batch_size, self.name, maximum),
                provider=self.name,
            )

    def plan_path(self, path: str) -> PlannedItem:
        """Validate one user path by the vendor's rules; return a PlannedItem (kind url or prefix) or raise CdnError."""
        raise NotImplementedError

    def plan_tag(self, tag: str) -> PlannedItem:
        return PlannedItem(tag, TAG)

    def plan_host(self, host: str) -> PlannedItem:
        if not is_hostname(host):
            raise CdnError("host %s is not a host name like www.example.com" % shown(host), provider=self.name)
        return PlannedItem(host.lower(), HOST)

    def plan_cp_code(self, cp_code: int) -> PlannedItem:
        return PlannedItem(cp_code, CP_CODE)

    def make_batches(self, items: list[PlannedItem], batch_size: int | None) -> list[Batch]:
        """Split planned items into purge requests: per kind, in KINDS order, chunks of the kind's batch size."""
        batches: list[Batch] = []
        for kind in KINDS:
            of_kind = [item for item in items if item.kind == kind]
            if of_kind:
                size = self.batch_size_for(kind, batch_size)
                batches.extend(Batch(kind, of_kind[start : start + size]) for start in range(0, len(of_kind), size))
        return batches

    # --- requests ------------------------------------------------------------------------------------------------
    def purge(self, client: Any, kind: str, values: list[Any]) -> str | Accepted | None:
        """Send one purge request of kind (ALL: values is empty); return the request id (validated), None, or Accepted."""
        raise NotImplementedError

    def statuses(self, client: Any, request_ids: list[str], concurrency: int = 1) -> dict[str, str]:
        """{request_id: vendor status word} for the given ids."""
        raise self.no_status_api()

    def no_status_api(self) -> CdnError:
        return CdnError(
            "provider %s purges synchronously and has no purge status API: a purge it accepted is already done" % self.name,
            provider=self.name,
        )

    def no_usable_id(self, response: Any, what: str, field: str = "request id") -> CdnError:
        """A success answer to a purge without a usable id: the provider may have accepted it (paths_uncertain)."""
        return CdnError(
            "%s: %s: the answer (HTTP %d) carries no valid %s (letters, digits, - and _, at most 128 characters); the purge may "
            "have been accepted: its paths are listed in paths_uncertain" % (self.name, what, response.status_code, field),
            provider=self.name,
            http_status=response.status_code,
            maybe_accepted=True,
        )

    def check_request_id(self, request_id: Any) -> None:
        if not isinstance(request_id, str) or not REQUEST_ID.match(request_id):
            raise CdnError(
                "request_id %s is not a valid %s request id (letters, digits, - and _, at most 128 characters)" % (shown(request_id), self.name),
                provider=self.name,
            )

    def purge_list(self, client: Any) -> list[dict[str, Any]]:
        raise CdnError("provider %s cannot list purge requests; give request_id or request_ids" % self.name, provider=self.name)

    def statuses_from_list(self, entries: list[dict[str, Any]], request_ids: list[str] | None) -> dict[str, str]:
        """{id: vendor status} for request_ids (None: every listed purge), from one purge list (STATUS_LIST)."""
        raise NotImplementedError

    def contract_status(self, provider_status: Any) -> str | None:
        """Completed or Pending for the vendor's status word; None for a word this adapter does not know."""
        return self.status_words.get(provider_status) if isinstance(provider_status, str) else None

    def check_status_words(self, statuses: dict[str, Any]) -> None:
        """A status word the adapter does not know (a Failed purge, a changed API) is an error at once, not a wait."""
        unknown = {request_id: word for request_id, word in statuses.items() if self.contract_status(word) is None}
        if unknown:
            raise CdnError(
                "%s reported a status this module does not know for %d purge requests (%s); known: %s. Check the purge in the "
                "provider's console"
                % (
                    self.name,
                    len(unknown),
                    ", ".join("%s: %s" % (request_id, shown(word)) for request_id, word in list(unknown.items())[:10]),
                    ", ".join(sorted(self.status_words)),
                ),
                provider=self.name,
                details={"unknown_statuses": [{"request_id": request_id, "provider_status": word} for request_id, word in unknown.items()]},
            )

    def invalid_path(self, path: str, rule: str) -> CdnError:
        return CdnError("path %s is not valid for %s: %s" % (shown(path), self.name, rule), provider=self.name)

    # --- hooks of the shared HTTP layer --------------------------------------------------------------------------
    def retry_after(self, headers: Any) -> float | None:
        """Seconds a rate-limited answer (429) asks to wait by the vendor's own header, when it has no Retry-After."""
        return None

    def pace(self, wait: float) -> float:
        """The wait before resending a request refused with 429 (wait: what Retry-After or retry_after asks, 0 when
        nothing does), spread out by the adapter where requests run concurrently (default: as asked)."""
        return wait

    def throttled(self, response: Any) -> bool:
        """True for an answer other than 429 that is the vendor's documented throttling (its body read): the HTTP layer
        retries it as it retries a 429, within `retries`."""
        return False

    def error_words(self, body: Any) -> list[str]:
        """The provider's own words from a parsed JSON error body (most vendors use one of the common keys)."""
        return error_words(body)

# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options both modules share, their checks, and the adapter for a run.

Internal use only: this file is not part of the collection's public API and may change without notice.
"""

from __future__ import annotations

import math
from typing import Any

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._http import ApiClient, validate_base_url
from ansible_collections.cdnops.cdn.plugins.module_utils._provider import Provider
from ansible_collections.cdnops.cdn.plugins.module_utils._registry import PROVIDER_OPTIONS, PROVIDERS, provider_option_spec

MAX_RETRIES = 20
# Bounds that keep every number usable by socket timeouts, time.sleep and deadlines (nan and inf are refused too).
MAX_TIMEOUT = 3600.0
MAX_POLL_INTERVAL = 3600.0
MAX_WAIT_TIMEOUT = 7 * 24 * 3600
MAX_CONCURRENCY = 64


def argument_spec(**module_options: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The common options (doc fragment cdnops.cdn.common), every provider's options (cdnops.cdn.providers), the module's own."""
    spec: dict[str, dict[str, Any]] = dict(
        provider=dict(type="str", required=True, choices=sorted(PROVIDERS)),
        api_base_url=dict(type="str"),
        validate_certs=dict(type="bool", default=True),
        timeout=dict(type="float", default=30.0),
        retries=dict(type="int", default=5),
        wait=dict(type="bool", default=False),
        # Both default to the provider's own (its adapter's default_wait_timeout and default_poll_interval).
        wait_timeout=dict(type="int"),
        poll_interval=dict(type="float"),
    )
    # Credentials have no env_fallback here: api_key is read from a different variable by each provider (the adapter).
    spec.update(provider_option_spec())
    spec.update(module_options)
    return spec


def _at_least(params: dict[str, Any], option: str, minimum: float, maximum: float | None = None) -> None:
    value = params.get(option)
    if value is None:
        return
    if value < minimum or (maximum is not None and value > maximum):
        rule = "at least %s" % minimum if maximum is None else "between %s and %s" % (minimum, maximum)
        raise CdnError("option %s=%r must be %s" % (option, value, rule))


def check_common(params: dict[str, Any]) -> None:
    """Range checks the argument spec cannot express."""
    for option, maximum in (("timeout", MAX_TIMEOUT), ("poll_interval", MAX_POLL_INTERVAL)):
        value = params[option]
        if not math.isfinite(value) or value <= 0 or value > maximum:
            raise CdnError("option %s=%r must be greater than 0 seconds and at most %g" % (option, value, maximum))
    _at_least(params, "retries", 0, MAX_RETRIES)
    _at_least(params, "wait_timeout", 0, MAX_WAIT_TIMEOUT)
    _at_least(params, "batch_size", 1)
    _at_least(params, "concurrency", 1, MAX_CONCURRENCY)
    _at_least(params, "max_requests", 1)


def provider_for(params: dict[str, Any]) -> Provider:
    """The adapter for params["provider"], with the options checked against what it uses.

    Its params are the settings of the run: a copy of params with the provider's defaults filled in
    (module.params itself is never changed)."""
    adapter = PROVIDERS[params["provider"]]
    settings = dict(params)
    if settings.get("wait_timeout") is None:
        settings["wait_timeout"] = adapter.default_wait_timeout
    if settings.get("poll_interval") is None:
        settings["poll_interval"] = adapter.default_poll_interval
    check_common(settings)
    provider = adapter(settings, PROVIDER_OPTIONS)
    if settings.get("api_base_url") is not None:
        provider.api_base_url = validate_base_url("api_base_url", settings["api_base_url"])
    return provider


def api_client(provider: Provider, params: dict[str, Any], pool_size: int = 1) -> ApiClient:
    """The shared session for one run: credentials resolved, auth set once."""
    headers, auth = provider.client_settings(provider.credential_values())
    return ApiClient(
        provider,
        provider.api_base_url,
        headers=headers,
        auth=auth,
        timeout=params["timeout"],
        retries=params["retries"],
        validate_certs=params["validate_certs"],
        pool_size=pool_size,
        secrets=provider.secrets,
    )

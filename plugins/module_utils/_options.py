# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options both modules share, their checks, and the provider registry."""

import math

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._http import ApiClient, validate_base_url
from ansible_collections.cdnops.cdn.plugins.module_utils._provider_fivecentscdn import FiveCentsCdn
from ansible_collections.cdnops.cdn.plugins.module_utils._provider_gotipath import Gotipath
from ansible_collections.cdnops.cdn.plugins.module_utils._provider_imagekit import ImageKit
from ansible_collections.cdnops.cdn.plugins.module_utils._provider_imagemash import ImageMash

PROVIDERS = {cls.name: cls for cls in (ImageKit, ImageMash, FiveCentsCdn, Gotipath)}

MAX_RETRIES = 20
# Bounds that keep every number usable by socket timeouts, time.sleep and deadlines (nan and inf are refused too).
MAX_TIMEOUT = 3600.0
MAX_POLL_INTERVAL = 3600.0
MAX_WAIT_TIMEOUT = 7 * 24 * 3600
MAX_CONCURRENCY = 64


def argument_spec(**module_options):
    """The common options (see the doc fragment cdnops.cdn.common) plus the module's own."""
    spec = dict(
        provider=dict(type="str", required=True, choices=sorted(PROVIDERS)),
        api_base_url=dict(type="str"),
        validate_certs=dict(type="bool", default=True),
        timeout=dict(type="float", default=30.0),
        retries=dict(type="int", default=5),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=300),
        poll_interval=dict(type="float", default=2.0),
        url_endpoint=dict(type="str"),
        domain=dict(type="str"),
        zone_id=dict(type="int"),
        zone_type=dict(type="str", choices=["http", "vod"]),
        distribution_id=dict(type="str"),
        # Each provider reads its own environment variables when these are omitted (see the adapters),
        # so one env_fallback per option would pick another provider's key.
        api_key=dict(type="str", no_log=True),
        client_id=dict(type="str", no_log=True),
        library_id=dict(type="str", no_log=True),
    )
    spec.update(module_options)
    return spec


def default_params(module_options, **values):
    """Params as AnsibleModule passes them when only values are given: every other option at its default."""
    params = {name: spec.get("default") for name, spec in argument_spec(**module_options).items()}
    params.update(values)
    return params


def _at_least(params, option, minimum, maximum=None):
    value = params.get(option)
    if value is None:
        return
    if value < minimum or (maximum is not None and value > maximum):
        rule = "at least %s" % minimum if maximum is None else "between %s and %s" % (minimum, maximum)
        raise CdnError("option %s=%r must be %s" % (option, value, rule))


def check_common(params):
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


def provider_for(params):
    """The adapter for params["provider"], with the options checked against what it uses."""
    check_common(params)
    provider = PROVIDERS[params["provider"]](params)
    if params.get("api_base_url") is not None:
        provider.api_base_url = validate_base_url("api_base_url", params["api_base_url"])
    else:
        provider.api_base_url = provider.default_api_base_url
    return provider


def api_client(provider, params, pool_size=1):
    """The shared session for one run: credentials resolved, auth set once."""
    headers, auth = provider.client_settings(provider.credential_values())
    return ApiClient(
        provider.name,
        provider.api_base_url,
        headers=headers,
        auth=auth,
        timeout=params["timeout"],
        retries=params["retries"],
        validate_certs=params["validate_certs"],
        pool_size=pool_size,
        secrets=provider.secrets,
    )

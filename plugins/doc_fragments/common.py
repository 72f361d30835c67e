# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The options every cdnops.cdn module takes that do not depend on the provider: transport and waiting.
    # The provider options are in the generated fragment cdnops.cdn.providers.
    DOCUMENTATION = r"""
options:
  api_base_url:
    description:
      - Overrides the vendor's API host, for proxies, tests and the provider emulator.
      - Plain C(http://) is accepted only for loopback hosts (127.0.0.0/8, ::1, localhost); anything else must be C(https://).
      - Defaults to the vendor's API host (see O(provider)); the module appends the vendor's own paths.
    type: str
  validate_certs:
    description:
      - Verify the API's TLS certificate. Set to V(false) only for a trusted test endpoint.
    type: bool
    default: true
  timeout:
    description:
      - Seconds allowed for one HTTP request.
    type: float
    default: 30
  retries:
    description:
      - How often one request is retried after a connection error, a timeout, or HTTP 429, 500, 502, 503 or 504.
      - Exponential backoff with jitter; C(Retry-After) (seconds or HTTP date) and each provider's own rate-limit
        reset header are honoured, up to 300 seconds.
      - A purge request whose answer was lost is sent again, so the provider may accept it twice.
    type: int
    default: 5
  wait:
    description:
      - Poll until every purge request is C(Completed).
      - Providers that purge synchronously are done when they answer, so there is nothing to wait for.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait with O(wait=true); past it the module fails, listing the request ids still C(Pending).
      - The provider's default when omitted (see O(provider)).
    type: int
  poll_interval:
    description:
      - Seconds between two status polls.
      - The provider's default when omitted (see O(provider)).
    type: float
requirements:
  - requests >= 2.28 on the host that runs the module (normally the controller)
notes:
  - "Run the module on the controller with C(delegate_to: localhost) and C(run_once: true)."
  - "All modules of this collection are in the action group C(cdnops.cdn.cdn), so credentials can be set once
    with C(module_defaults: {group/cdnops.cdn.cdn: {...}})."
  - Options a provider does not use are an error naming the option and the provider.
"""

# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The options every cdnops.cdn module takes: provider, target, credentials, transport, waiting.
    DOCUMENTATION = r"""
options:
  provider:
    description:
      - The CDN whose cache is purged.
    type: str
    required: true
    choices: [5centscdn, gotipath, imagekit, imagemash]
  url_endpoint:
    description:
      - O(provider=imagekit) only. Your ImageKit URL endpoint, for example V(https://ik.imagekit.io/demo).
      - Lets paths be relative (V(/img/logo.png)); absolute URLs are accepted without it.
    type: str
  domain:
    description:
      - O(provider=imagemash) only, optional. The ImageMash domain to purge, for example V(john.imagemash.io).
    type: str
  zone_id:
    description:
      - O(provider=5centscdn) only, required there. The pull zone id.
    type: int
  zone_type:
    description:
      - O(provider=5centscdn) only. The kind of pull zone; V(http) when omitted.
    type: str
    choices: [http, vod]
  distribution_id:
    description:
      - O(provider=gotipath) only, required there. The CDN distribution UUID.
    type: str
  api_key:
    description:
      - The API key. ImageKit calls it the private key.
      - When omitted, read from the provider's environment variable E(IMAGEKIT_PRIVATE_KEY), E(IMAGEMASH_API_KEY),
        E(FIVECENTSCDN_API_KEY) or E(GOTIPATH_API_KEY). Each provider reads only its own variable.
      - Never logged or returned.
    type: str
  client_id:
    description:
      - O(provider=gotipath) only. The C(X-Auth-ClientId); from E(GOTIPATH_CLIENT_ID) when omitted. Never logged.
    type: str
  library_id:
    description:
      - O(provider=gotipath) only. The C(X-Auth-LibraryId); from E(GOTIPATH_LIBRARY_ID) when omitted. Never logged.
    type: str
  api_base_url:
    description:
      - Overrides the vendor's API host, for proxies, tests and the provider emulator.
      - Plain C(http://) is accepted only for loopback hosts (127.0.0.0/8, ::1, localhost); anything else must be C(https://).
      - Defaults to V(https://api.imagekit.io), V(https://api.imagemash.io), V(https://api.5centscdn.com) or
        V(https://apistream.gotipath.com).
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
      - Exponential backoff with jitter; C(Retry-After) (seconds or HTTP date) and ImageMash's C(rl-ttl) are honoured,
        up to 300 seconds.
      - A purge request whose answer was lost is sent again, so the provider may accept it twice.
    type: int
    default: 5
  wait:
    description:
      - Poll until every purge request is C(Completed).
      - 5centsCDN and Gotipath purge synchronously, so there is nothing to wait for.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait with O(wait=true); past it the module fails, listing the request ids still C(Pending).
    type: int
    default: 300
  poll_interval:
    description:
      - Seconds between two status polls.
    type: float
    default: 2
requirements:
  - requests >= 2.28 on the host that runs the module (normally the controller)
notes:
  - "Run the module on the controller with C(delegate_to: localhost) and C(run_once: true)."
  - "All modules of this collection are in the action group C(cdnops.cdn.cdn), so credentials can be set once
    with C(module_defaults: {group/cdnops.cdn.cdn: {...}})."
  - Options a provider does not use are an error naming the option and the provider.
"""

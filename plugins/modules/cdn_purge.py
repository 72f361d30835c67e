#!/usr/bin/python
# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cdn_purge
short_description: Purge CDN caches (files, prefixes, cache tags, hosts or everything) on any supported CDN
version_added: 0.1.0
description:
  - Purges files, prefixes, cache tags, hosts, CP codes or a whole zone from a CDN cache, with one set of options for
    every provider. Each item is sent as the provider's own purge kind; a kind the provider lacks is an error naming
    what it offers instead.
  - Before anything is sent, every item is validated by the provider's rules, exact duplicates are dropped, paths
    covered by a prefix purge in the same call are dropped, and the rest is split into batches of at most the
    provider's limit per kind. An invalid item fails the task naming the item and the rule; nothing is sent.
  - With O(idempotency_key), every item the provider accepted is recorded in a ledger, and a later run with the
    same key sends only what was not accepted yet. A run that failed part-way resumes where it stopped.
  - Failed requests are retried with exponential backoff (see O(retries)); a failure after some purge requests were
    accepted returns what was accepted (RV(purge_requests)) and what was not (C(paths_purged), C(paths_remaining)).
author:
  - cdnops engineers (@cdnops)
extends_documentation_fragment:
  - cdnops.cdn.common
  - cdnops.cdn.providers
  - cdnops.cdn.providers.purge
  - cdnops.cdn.attributes
  - cdnops.cdn.attributes.actiongroup
attributes:
  check_mode:
    support: full
    details: Sends no request and writes no ledger; returns the plan.
  diff_mode:
    support: full
    details: Shows the items that are (or would be) purged.
options:
  paths_file:
    description:
      - A file on the host that runs the module (normally the controller) with one path per line, joined to O(paths).
        Blank lines and lines starting with C(#) are ignored.
      - For large purges. The paths never pass through Ansible variables, and unless O(return_items=true) the result
        gives counts instead of lists, so 100,000 paths are planned and returned in seconds.
    type: path
  return_items:
    description:
      - List every item in RV(paths), RV(skipped_paths) and the C(paths) of each of RV(purge_requests).
      - V(false) returns counts instead (RV(paths_count), RV(skipped_count) by reason, and C(paths_count) in each
        purge request; on failure C(paths_purged_count), C(paths_remaining_count), C(paths_uncertain_count)), so a
        100,000-path purge returns a small result.
      - Defaults to V(true) when every item came from options, V(false) when O(paths_file) is given.
    type: bool
  concurrency:
    description:
      - Purge requests in flight at once, for providers whose requests are independent (one item per request).
      - Also bounds concurrent status polls.
    type: int
    default: 8
  max_requests:
    description:
      - Refuse, before sending anything, a purge that needs more purge requests than this.
      - The message says how many it would need and suggests a prefix.
    type: int
    default: 1000
  idempotency_key:
    description:
      - Record every accepted item under (provider, target, key) in O(idempotency_file).
      - A later run with the same key sends only the items not yet accepted; when all were, it sends nothing and
        reports C(changed=false) with the recorded request ids (with O(wait=true) it waits for those).
      - Without a key every run purges.
    type: str
  idempotency_file:
    description:
      - The ledger, on the host that runs the module. Written atomically under a file lock.
    type: path
    default: ~/.ansible/cdn_purge/ledger.json
seealso:
  - module: cdnops.cdn.cdn_purge_status
"""

EXAMPLES = r"""
- name: Purge two files and a folder on ImageKit, and wait until it is done
  cdnops.cdn.cdn_purge:
    provider: imagekit
    url_endpoint: https://ik.imagekit.io/demo
    api_key: "{{ vault_imagekit_private_key }}"
    paths:
      - /img/logo.png
      - https://ik.imagekit.io/demo/css/site.css
      - /img/products/*
    wait: true
  delegate_to: localhost
  run_once: true

- name: Purge a release on ImageMash, once per release even if the play is rerun
  cdnops.cdn.cdn_purge:
    provider: imagemash
    domain: john.imagemash.io
    paths: "{{ changed_paths }}"
    idempotency_key: "release-{{ release_version }}"
  delegate_to: localhost
  run_once: true

- name: Soft-purge a whole 5centsCDN pull zone (key from FIVECENTSCDN_API_KEY)
  cdnops.cdn.cdn_purge:
    provider: 5centscdn
    zone_id: 42
    purge_all: true
    soft_purge: true
  delegate_to: localhost

- name: Purge URLs and a pattern on a Gotipath distribution (credentials from GOTIPATH_* variables)
  cdnops.cdn.cdn_purge:
    provider: gotipath
    distribution_id: 292e5d7f-a8b9-41a0-bdf0-e70347709c6f
    paths:
      - /index.html
      - /assets/app.js?v=2
      - /assets/img/*
  delegate_to: localhost

- name: Purge files, a folder prefix and a cache tag on Cloudflare (API token from CLOUDFLARE_API_TOKEN)
  cdnops.cdn.cdn_purge:
    provider: cloudflare
    zone_id: 023e105f4ecef8ad9ca31a8372d0c353
    url_endpoint: https://www.example.com
    paths:
      - /index.html
      - /img/products/*
    tags: [release-42]
  delegate_to: localhost
  run_once: true

- name: Soft-purge two pages and a surrogate key on Fastly (token from FASTLY_API_TOKEN)
  cdnops.cdn.cdn_purge:
    provider: fastly
    service_id: SU1Z0isxPaozGVKXdv0eY
    url_endpoint: https://www.example.com
    paths: [/index.html, /about/]
    tags: [release-42]
    soft_purge: true
  delegate_to: localhost
  run_once: true

- name: See what would be purged, without sending anything
  cdnops.cdn.cdn_purge:
    provider: imagekit
    url_endpoint: https://ik.imagekit.io/demo
    paths: "{{ lookup('file', 'paths.txt').splitlines() }}"
  check_mode: true
  diff: true
  register: plan
  delegate_to: localhost

- name: Set credentials once for every cdnops.cdn module in a play
  hosts: web
  module_defaults:
    group/cdnops.cdn.cdn:
      provider: imagemash
      api_key: "{{ vault_imagemash_key }}"
  tasks:
    - name: Purge the home page
      cdnops.cdn.cdn_purge:
        paths: [/index.html]
      delegate_to: localhost
      run_once: true
"""

RETURN = r"""
provider:
  description: The provider purged.
  returned: always
  type: str
  sample: imagekit
paths:
  description:
    - The normalised items submitted (planned, in check mode), after dropping duplicates, covered paths and items
      already accepted under the idempotency key. Paths are full URLs for providers that purge by URL; tags, hosts
      and CP codes appear as C(tag:NAME), C(host:NAME) and C(cp_code:N).
  returned: when return_items is true (the default unless paths_file is given)
  type: list
  elements: str
  sample: [https://ik.imagekit.io/demo/img/logo.png]
skipped_paths:
  description:
    - Items not sent, each with the reason C(duplicate), C(covered_by_prefix) (with C(covered_by)) or
      C(already_accepted) (with the recorded C(request_id)).
    - Not called C(skipped), because Ansible reserves that result key (a non-empty C(skipped) marks the whole task
      as skipped).
  returned: when return_items is true (the default unless paths_file is given)
  type: list
  elements: dict
  sample: [{path: /img/a.png, reason: covered_by_prefix, covered_by: /img/}]
purge_requests:
  description:
    - One entry per purge request, with C(request_id) (null where the provider returns none, and in check mode),
      C(kind) (V(url), V(prefix), V(tag), V(host), V(cp_code) or V(all)), C(paths) (its items, named as in RV(paths)),
      C(status) (V(Completed) or V(Pending)) and C(maybe_accepted_twice).
    - "C(maybe_accepted_twice) is V(true) when an answer was lost after the request went out (a dropped connection
      or a read timeout) and the request was sent again, so the provider may have accepted it twice."
    - C(estimated_seconds) where the provider estimates when the purge is done (a provider without a status API).
    - On failure, the purge requests accepted before it.
  returned: always
  type: list
  elements: dict
  sample: [{request_id: 598821f949c0a938d57563bd, kind: url, paths: [https://ik.imagekit.io/demo/img/logo.png], status: Pending,
            maybe_accepted_twice: false}]
request_ids:
  description: The non-null request ids, including those recorded earlier under the idempotency key.
  returned: always
  type: list
  elements: str
  sample: [598821f949c0a938d57563bd]
status:
  description:
    - V(Completed) or V(Pending) overall. Providers that purge synchronously report V(Completed); the others report
      V(Pending) unless O(wait=true).
  returned: always
  type: str
  sample: Completed
waited_seconds:
  description:
    - With O(wait=true), for a provider without a purge status API that estimates when its purges are done, the
      seconds waited (the largest C(estimated_seconds) of the purge requests sent).
  returned: when such a provider was waited for
  type: float
  sample: 5.0
api_requests:
  description: HTTP requests actually sent, retries and status polls included; 0 in check mode.
  returned: always
  type: int
  sample: 3
paths_count:
  description: With O(return_items=false), the number of items submitted (planned, in check mode), in place of RV(paths).
  returned: when return_items is false
  type: int
  sample: 68500
skipped_count:
  description: With O(return_items=false), the number of items not sent, by reason, in place of RV(skipped_paths).
  returned: when return_items is false
  type: dict
  sample: {duplicate: 30000, covered_by_prefix: 1500}
paths_purged:
  description: On failure part-way, the paths the provider accepted before the failure.
  returned: failure
  type: list
  elements: str
paths_remaining:
  description: On failure part-way, the paths not accepted; rerun with the same O(idempotency_key) to send only these.
  returned: failure
  type: list
  elements: str
paths_uncertain:
  description:
    - On failure part-way, the paths of a failed purge request whose answer was lost after it went out, or whose
      success answer carried no usable request id. The provider may have accepted them. They are in RV(paths_remaining) too, so a rerun sends them again.
  returned: failure
  type: list
  elements: str
http_status:
  description: On failure, the HTTP status of the provider's last answer, where there was one.
  returned: failure
  type: int
  sample: 401
provider_message:
  description: On failure, the provider's own error message.
  returned: failure
  type: str
  sample: Your account cannot be authenticated.
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._http import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.cdnops.cdn.plugins.module_utils._ledger import DEFAULT_LEDGER
from ansible_collections.cdnops.cdn.plugins.module_utils._options import argument_spec
from ansible_collections.cdnops.cdn.plugins.module_utils._runner import run_purge

# This module's own options; argument_spec() adds the common ones (doc fragment cdnops.cdn.common).
OPTIONS = dict(
    paths=dict(type="list", elements="str", default=[]),
    paths_file=dict(type="path"),
    return_items=dict(type="bool"),
    tags=dict(type="list", elements="str", default=[]),
    hosts=dict(type="list", elements="str", default=[]),
    cp_codes=dict(type="list", elements="int", default=[]),
    purge_all=dict(type="bool", default=False),
    soft_purge=dict(type="bool", default=False),
    batch_size=dict(type="int"),
    concurrency=dict(type="int", default=8),
    max_requests=dict(type="int", default=1000),
    idempotency_key=dict(type="str", no_log=False),
    idempotency_file=dict(type="path", default=DEFAULT_LEDGER),
)


def main():
    module = AnsibleModule(argument_spec=argument_spec(**OPTIONS), supports_check_mode=True)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    try:
        result = run_purge(module.params, check_mode=module.check_mode, diff=module._diff)
    except CdnError as exc:
        module.fail_json(msg=exc.message, **exc.result())
    module.exit_json(**result)


if __name__ == "__main__":
    main()

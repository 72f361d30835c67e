#!/usr/bin/python
# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cdn_purge_status
short_description: Read (and wait for) the status of CDN purge requests
version_added: 0.1.0
description:
  - Reads the status of the purge requests that M(cdnops.cdn.cdn_purge) returned, and with O(wait=true) polls until
    every one is C(Completed).
  - Providers with a status per id have each id read with its own request (concurrently, at most 8 at once); for
    providers with a purge list, one list answers for every id. Without ids, providers that can list their purge
    requests list them (O(provider) says which).
  - Providers without a purge status API (those that purge synchronously, and those whose O(cdnops.cdn.cdn_purge#module:wait)
    waits the provider's estimate) make the module fail with a message that says so.
  - Never changes anything.
author:
  - cdnops engineers (@cdnops)
extends_documentation_fragment:
  - cdnops.cdn.common
  - cdnops.cdn.providers
  - cdnops.cdn.attributes
  - cdnops.cdn.attributes.actiongroup
attributes:
  check_mode:
    support: full
    details: It only reads, so it runs normally in check mode.
  diff_mode:
    support: none
options:
  request_id:
    description:
      - One request id returned by M(cdnops.cdn.cdn_purge).
    type: str
  request_ids:
    description:
      - Several request ids, for example RV(cdnops.cdn.cdn_purge#module:request_ids).
      - With neither O(request_id) nor O(request_ids), a provider that can list its purge requests lists them (the
        account's purge list, or a distribution's recent invalidations; O(provider) says which); other providers fail.
    type: list
    elements: str
seealso:
  - module: cdnops.cdn.cdn_purge
"""

EXAMPLES = r"""
- name: Purge without waiting
  cdnops.cdn.cdn_purge:
    provider: imagekit
    url_endpoint: https://ik.imagekit.io/demo
    paths: [/img/logo.png]
  register: purge
  delegate_to: localhost

- name: Later, wait until the purge is done
  cdnops.cdn.cdn_purge_status:
    provider: imagekit
    request_ids: "{{ purge.request_ids }}"
    wait: true
    wait_timeout: 600
  delegate_to: localhost

- name: List every ImageMash purge request of the account
  cdnops.cdn.cdn_purge_status:
    provider: imagemash
  register: purges
  delegate_to: localhost

- name: Show those still in progress
  ansible.builtin.debug:
    msg: "{{ purges.purges | selectattr('status', 'eq', 'Pending') | map(attribute='request_id') }}"
"""

RETURN = r"""
provider:
  description: The provider asked.
  returned: always
  type: str
  sample: imagekit
status:
  description: V(Completed) when every request is, else V(Pending).
  returned: success
  type: str
  sample: Pending
statuses:
  description:
    - One entry per request id, with C(request_id), C(status) (V(Completed) or V(Pending)) and C(provider_status),
      the vendor's own word (ImageMash says V(InProgress)).
  returned: success
  type: list
  elements: dict
  sample: [{request_id: I26JPCNTSVM8DB, status: Pending, provider_status: InProgress}]
purges:
  description:
    - Providers that list their purge requests. The purge requests asked for (every one listed without ids), with
      C(request_id), C(created_at), C(status) and C(paths) (null where the listing carries no paths).
  returned: when the provider's purge list was read
  type: list
  elements: dict
  sample: [{request_id: I26JPCNTSVM8DB, created_at: "2022-09-22T14:25:30.995Z", status: Pending, paths: [/img/big/my_]}]
api_requests:
  description: HTTP requests sent, retries and polls included.
  returned: always
  type: int
  sample: 1
pending_request_ids:
  description: With O(wait=true), the ids still C(Pending) when O(wait_timeout) ran out.
  returned: failure
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.cdnops.cdn.plugins.module_utils._errors import CdnError
from ansible_collections.cdnops.cdn.plugins.module_utils._http import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.cdnops.cdn.plugins.module_utils._options import argument_spec
from ansible_collections.cdnops.cdn.plugins.module_utils._runner import run_status


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(
            request_id=dict(type="str"),
            request_ids=dict(type="list", elements="str"),
        ),
        mutually_exclusive=[("request_id", "request_ids")],
        supports_check_mode=True,
    )
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    try:
        result = run_status(module.params)
    except CdnError as exc:
        module.fail_json(msg=exc.message, **exc.result())
    module.exit_json(**result)


if __name__ == "__main__":
    main()

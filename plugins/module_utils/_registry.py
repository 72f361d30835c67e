# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one list of provider adapters, and the option spec merged from their declarations.

Internal use only: this file is not part of the collection's public API and may change without notice.

Adding a provider: one adapter file and one line in ADAPTERS. The imports are explicit because AnsiballZ
ships only the module_utils a module imports.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.cdnops.cdn.plugins.module_utils._provider import Provider
from ansible_collections.cdnops.cdn.plugins.module_utils._provider_akamai import Akamai
from ansible_collections.cdnops.cdn.plugins.module_utils._provider_bunny import Bunny
from ansible_collections.cdnops.cdn.plugins.module_utils._provider_cloudflare import Cloudflare
from ansible_collections.cdnops.cdn.plugins.module_utils._provider_cloudfront import CloudFront
from ansible_collections.cdnops.cdn.plugins.module_utils._provider_fastly import Fastly
from ansible_collections.cdnops.cdn.plugins.module_utils._provider_fivecentscdn import FiveCentsCdn
from ansible_collections.cdnops.cdn.plugins.module_utils._provider_gcore import Gcore
from ansible_collections.cdnops.cdn.plugins.module_utils._provider_gotipath import Gotipath
from ansible_collections.cdnops.cdn.plugins.module_utils._provider_imagekit import ImageKit
from ansible_collections.cdnops.cdn.plugins.module_utils._provider_imagemash import ImageMash

ADAPTERS: tuple[type[Provider], ...] = (ImageKit, ImageMash, FiveCentsCdn, Gotipath, Cloudflare, Fastly, Bunny, Gcore, Akamai, CloudFront)
PROVIDERS: dict[str, type[Provider]] = {adapter.name: adapter for adapter in ADAPTERS}


class OptionClashError(ValueError):
    """Two adapters declare one option name with different specs."""


def provider_option_spec(adapters: tuple[type[Provider], ...] = ADAPTERS) -> dict[str, dict[str, Any]]:
    """Every provider option, merged: one name has one spec for every provider (aliases are the union)."""
    merged: dict[str, dict[str, Any]] = {}
    owners: dict[str, str] = {}
    for adapter in adapters:
        for option in adapter.options:
            spec = option.spec()
            known = merged.get(option.name)
            if known is None:
                merged[option.name] = spec
                owners[option.name] = adapter.name
                continue
            aliases = sorted(set(known.get("aliases", [])) | set(spec.get("aliases", [])))
            mine = {key: value for key, value in spec.items() if key != "aliases"}
            theirs = {key: value for key, value in known.items() if key != "aliases"}
            if mine != theirs:
                raise OptionClashError("option %s is declared as %r by %s but as %r by %s" % (option.name, theirs, owners[option.name], mine, adapter.name))
            if aliases:
                known["aliases"] = aliases
    return merged


PROVIDER_OPTIONS = frozenset(provider_option_spec())

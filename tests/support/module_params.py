"""Module params for tests and benchmarks, derived from the real argument spec (never a copied list).

Test-only: it lives here, not in plugins/, so the collection does not ship it.
"""


def default_params(module_options, **values):
    """Params as AnsibleModule passes them when only values are given: every other option at its default."""
    from ansible_collections.cdnops.cdn.plugins.module_utils._options import argument_spec

    params = {name: spec.get("default") for name, spec in argument_spec(**module_options).items()}
    params.update(values)
    return params

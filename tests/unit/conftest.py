import pytest
from cases import module_options


def base_params(**overrides):
    # Imported here: this conftest loads before pytest-ansible puts the collection on the path.
    from module_params import default_params

    from ansible_collections.cdnops.cdn.plugins.modules.cdn_purge import OPTIONS

    return default_params(OPTIONS, **dict({"provider": "imagekit", "api_key": "unit-test-key"}, **overrides))


@pytest.fixture(scope="session")
def make_params():
    """Module params as AnsibleModule would pass them, for one provider with its target."""

    def make(provider="imagekit", **overrides):
        values = module_options(provider)
        values.update(overrides)
        return base_params(provider=provider, **values)

    return make

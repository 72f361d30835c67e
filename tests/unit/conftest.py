import pytest


def base_params(**overrides):
    # Imported here: this conftest loads before pytest-ansible puts the collection on the path.
    from module_params import default_params

    from ansible_collections.cdnops.cdn.plugins.modules.cdn_purge import OPTIONS

    return default_params(OPTIONS, **dict({"provider": "imagekit", "api_key": "unit-test-key"}, **overrides))


TARGETS = {
    "imagekit": dict(url_endpoint="https://ik.imagekit.io/demo"),
    "imagemash": dict(domain="john.imagemash.io"),
    "5centscdn": dict(zone_id=42),
    "gotipath": dict(distribution_id="292e5d7f-a8b9-41a0-bdf0-e70347709c6f", client_id="client-uuid", library_id="library-uuid"),
}


@pytest.fixture(scope="session")
def make_params():
    """Module params as AnsibleModule would pass them, for one provider with its target."""

    def make(provider="imagekit", **overrides):
        values = dict(TARGETS[provider])
        values.update(overrides)
        return base_params(provider=provider, **values)

    return make

import pytest


def base_params(**overrides):
    params = dict(
        provider="imagekit",
        api_base_url=None,
        validate_certs=True,
        timeout=30.0,
        retries=5,
        wait=False,
        wait_timeout=300,
        poll_interval=2.0,
        url_endpoint=None,
        domain=None,
        zone_id=None,
        zone_type=None,
        distribution_id=None,
        api_key="unit-test-key",
        client_id=None,
        library_id=None,
        paths=[],
        purge_all=False,
        soft_purge=False,
        batch_size=None,
        concurrency=8,
        max_requests=1000,
        idempotency_key=None,
        idempotency_file=None,
    )
    params.update(overrides)
    return params


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

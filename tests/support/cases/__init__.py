"""The provider test kit: one case file per provider, read by the unit, integration, security and reliability suites.

Each case module defines (names in capitals):
    NAME          the provider, as `provider:` takes it
    TARGET        target options of the emulator's default target, as module options
    CREDENTIALS   the emulator's default credentials, as module options
    ENV           the same credentials as the environment variables users set
    WRONG         a wrong credential (never to be printed)
    ITEMS         option -> values, something valid to purge for every kind the provider has (paths, tags, hosts, cp_codes)
    SENT          option -> what the emulator logs as purged for ITEMS[option] (its log's `purged`)
    RESULT_PATHS  how the module's results name ITEMS["paths"] (full URLs where the provider purges by URL)
    PREFIX        (paths, covering prefix as sent, the path it drops) for providers with a prefix purge, else None
    INVALID       [(item option, value, words of the message)]: refused before anything is sent
    PURGE_ALL     True when the provider has a purge-all
    QUOTA         (paths, batch_size, quota in purge requests) for the quota-and-resume tests
    sent(path)    how the emulator logs a relative path once purged
    named(path)   how the module's results name a relative path
The case files know the emulator's defaults (tests/emulator/README.md); the consistency test checks them against
the emulator and the registry, so neither can drift silently.
"""

from cases import cloudflare, fastly, fivecentscdn, gotipath, imagekit, imagemash

CASES = {case.NAME: case for case in (imagekit, imagemash, fivecentscdn, gotipath, cloudflare, fastly)}
PROVIDERS = tuple(CASES)


def module_options(provider, credentials=True):
    """The target options, and the credentials unless told otherwise."""
    case = CASES[provider]
    options = dict(case.TARGET)
    if credentials:
        options.update(case.CREDENTIALS)
    return options


def environment_prefixes():
    """The prefixes of every provider's environment variables (for scrubbing the test environment)."""
    return tuple(sorted({name.split("_", 1)[0] + "_" for case in CASES.values() for name in case.ENV}))

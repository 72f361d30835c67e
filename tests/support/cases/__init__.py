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
    sent(path)    how the emulator logs a relative path once purged (default: as given)
    named(path)   how the module's results name a relative path (default: as sent)
    EMULATOR_FIELDS  credential option -> the emulator's credential field (its `credentials` config) for CREDENTIALS
    OTHER_CREDENTIALS  further credential forms: name -> (module options set to the emulator's defaults,
                  option -> the environment variable read for it in this form, option -> the emulator's field);
                  {} when CREDENTIALS is the only form (Cloudflare: the legacy global key with email)
    DENIED        the HTTP status of the emulator's answer to a wrong credential
    UNCONFIRMED   words of the failure when an HTTP 200 is not the provider's success answer (None: any 200 is one)
    PATH_TEMPLATE a valid path with one %s: PATH_TEMPLATE % word is purged as it is, for any word of letters,
                  digits, - and _ (and Jinja's {{ }})
    COMPLETE_AFTER  the emulator config key: seconds until a purge reads Completed (None for synchronous providers)
    ENDPOINT      full-match regex of every request the module may send for TARGET when it purges paths (and reads
                  their status): path, then ?query when there is one
    INVALID_TARGET  [(target option, value, words of the message)]: refused before anything is sent
    requested(entry)  what a logged request asked to purge, as SENT names it, whether or not it was accepted
    logged(name)  how the emulator logs an item that the module's results call name
    SIGNING_ONLY  credential options that only sign requests and never travel in them (SigV4's secret key, EdgeGrid's
                  client secret): the security suite does not look for them on the wire (optional; default none)
The case files know the emulator's defaults (tests/emulator/README.md); the consistency test checks them against
the emulator and the registry, so neither can drift silently.
"""

from cases import akamai, bunny, cloudflare, cloudfront, fastly, fivecentscdn, gcore, gotipath, imagekit, imagemash

CASES = {case.NAME: case for case in (imagekit, imagemash, fivecentscdn, gotipath, cloudflare, fastly, bunny, gcore, akamai, cloudfront)}
for _case in CASES.values():
    # Most providers take a path as given and results name it as sent: a case file says only where that differs.
    if not hasattr(_case, "sent"):
        _case.sent = str
    if not hasattr(_case, "named"):
        _case.named = _case.sent
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

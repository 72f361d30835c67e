# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where things are, the sizes of a full and a smoke run, the providers' limits and the targets."""

import hashlib
import re
import sys
import time
from pathlib import Path

import emulator_support

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"
ENTRY = BENCH / "run.py"  # also the measured-command wrapper: run.py --_exec
PLAYBOOKS = BENCH / "playbooks"
MODULE = ROOT / "plugins" / "modules" / "cdn_purge.py"


def emulator_account(provider):
    """The emulator's default target and credentials for one provider, as module options (tests/support/cases)."""
    return dict(emulator_support.TARGETS[provider], **emulator_support.CREDENTIALS[provider])


IMAGEKIT = emulator_account("imagekit")
IMAGEMASH = emulator_account("imagemash")
FIVECENTS = emulator_account("5centscdn")
GOTIPATH = emulator_account("gotipath")
# Batch limits (docs: providers.md): ImageMash and 5centsCDN default to 100 paths, Gotipath 100 URLs / 10 patterns,
# Cloudflare 30 files / 30 prefixes.
BATCH = 100
GOTIPATH_PATTERN_BATCH = 10
CLOUDFLARE_BATCH = 30

FULL = {
    "a": 500,
    "b": 500,
    "plan": 100_000,
    "minimum": 10_000,
    "fastly": 500,
    "wait_imagekit": 500,
    "wait_imagemash": 10_000,
    "scaling": (25_000, 50_000, 100_000, 200_000),
    "repeat": 5,
    "repeat_c": 3,
    "repeat_plan": 3,
    "scale": (100_000, 1_000_000),
    "repeat_scale": 3,
    "ledger_releases": 5,
    "ledger_paths": 100_000,
    "ledger_records": 200,
    "gcore_urls": 1000,
    "gcore_window": 2.0,
    "cloudfront_paths": 10_000,
    "cloudfront_wildcards": 45,
    "cloudfront_complete_after": 2.0,
    "cloudfront_poll": 0.25,
    # Akamai: whole bodies of 250-character URLs (196 a body): a batcher that fits even one URL less sends one more.
    "akamai_urls": 1_960,
    "akamai_estimate": 3,
}
SMOKE = {
    "a": 40,
    "b": 5,
    "plan": 2_000,
    "minimum": 1_000,
    "fastly": 40,
    "wait_imagekit": 20,
    "wait_imagemash": 1_000,
    "scaling": (1_000, 2_000, 4_000),
    "repeat": 1,
    "repeat_c": 1,
    "repeat_plan": 1,
    "scale": (20_000,),
    "repeat_scale": 1,
    "ledger_releases": 1,
    "ledger_paths": 2_000,
    "ledger_records": 20,
    "gcore_urls": 400,
    "gcore_window": 1.0,
    "cloudfront_paths": 3_500,
    "cloudfront_wildcards": 0,
    "cloudfront_complete_after": 0.5,
    "cloudfront_poll": 0.1,
    "akamai_urls": 392,
    "akamai_estimate": 1,
}
# plan_*: P (paths in a vars file); scale_*: X1/X2 (paths_file, return_items false), by size.
TARGETS = {
    "b_over_a": 40.0,
    "a_over_l": 1.5,
    "plan_seconds": 3.0,
    "plan_mb": 200.0,
    "scale_seconds": {100_000: 3.0, 1_000_000: 15.0},
    "scale_mb": {100_000: 200.0},
}
# Gcore's documented limit: 2 URL purges (of up to 100 URLs each) per resource and rate window.
GCORE_BATCH = 100
GCORE_URL_PURGES_PER_WINDOW = 2
# CloudFront's documented limits (docs: providers.md): 3,000 paths an invalidation; in progress per distribution at
# once, 3,000 file paths and 15 wildcard paths (the emulator's cloudfront_max_in_progress_* defaults).
CLOUDFRONT_BATCH = 3000
CLOUDFRONT_FILES_IN_PROGRESS = 3000
CLOUDFRONT_WILDCARDS_IN_PROGRESS = 15
# Akamai Fast Purge refuses a request body above 50,000 bytes (413).
AKAMAI_MAX_BODY = 50_000


def log(message):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), message), file=sys.stderr, flush=True)


def default_concurrency():
    """The module's own default, read from its argument spec so the benchmark follows it."""
    match = re.search(r"concurrency=dict\(type=\"int\", default=(\d+)\)", MODULE.read_text(encoding="utf-8"))
    if not match:
        raise SystemExit("cannot find the concurrency default in %s" % MODULE)
    return int(match.group(1))


def digest(strings):
    """Same as callback_plugins/bench_result.py."""
    return hashlib.sha256("\n".join(sorted(strings)).encode("utf-8")).hexdigest()

# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The path lists the benchmarks purge, each with what must be sent for it, by construction."""

import random

from bench.config import IMAGEKIT


def site_urls(base, count):
    """count distinct file URLs (or paths, with base "") under base, 100 to a folder."""
    return ["%s/bench/d%03d/img%05d.jpg" % (base, i // 100, i) for i in range(count)]


def imagekit_urls(count):
    return site_urls(IMAGEKIT["url_endpoint"], count)


def prefixed_paths(total, seed, wildcard=""):
    """total paths: 30 % exact duplicates, 20 % covered by a folder prefix in the same list, shuffled.

    The prefixes are folders ending in / followed by wildcard (ImageMash: none, Cloudflare: *). Returns
    (paths, prefixes, files): the prefixes (without wildcard) and the files are the unique uncovered items, by
    construction (none of them starts with another: same-length names under different folders).
    """
    rnd = random.Random(seed)
    n_dup, n_cov = total * 3 // 10, total * 2 // 10
    n_keep = total - n_dup - n_cov
    n_prefix = max(1, n_keep // 100)
    prefixes = ["/media/p%05d/" % k for k in range(n_prefix)]
    files = ["/assets/d%03d/f%05d.png" % (i // 1000, i) for i in range(n_keep - n_prefix)]
    covered = ["%sx%06d.jpg" % (prefixes[j % n_prefix], j) for j in range(n_cov)]
    distinct = [prefix + wildcard for prefix in prefixes] + files + covered
    paths = distinct + [rnd.choice(distinct) for _round in range(n_dup)]
    rnd.shuffle(paths)
    return paths, prefixes, files


def imagemash_paths(total, seed):
    """prefixed_paths for ImageMash (a prefix is a folder ending in /): (paths, the unique uncovered ones)."""
    paths, prefixes, files = prefixed_paths(total, seed)
    return paths, prefixes + files


def fivecents_paths(total, seed):
    """total file paths, 30 % exact duplicates (5centsCDN has no prefix purge)."""
    rnd = random.Random(seed)
    unique = ["/videos/d%03d/f%05d.mp4" % (i // 1000, i) for i in range(total - total * 3 // 10)]
    paths = unique + [rnd.choice(unique) for _round in range(total * 3 // 10)]
    rnd.shuffle(paths)
    return paths, unique


def gotipath_paths(total, seed):
    """URLs (30 % duplicates, 20 % under a pattern prefix) and 27 pattern entries.

    Patterns: 20 prefixes /g/pNN/*, one covered by another (/g/p00/sub/*), 4 with * inside (not prefixes,
    sent as they are) and 2 duplicates. Returns (paths, {"url": [...], "pattern": [...]}) of what must be sent.
    """
    rnd = random.Random(seed)
    prefixes = ["/g/p%02d/*" % k for k in range(20)]
    inner = ["/g/*/q%d.css" % k for k in range(4)]
    patterns = prefixes + ["/g/p00/sub/*"] + inner + [prefixes[1], prefixes[2]]
    n_urls = total - len(patterns)
    n_dup, n_cov = total * 3 // 10, total * 2 // 10
    n_keep = n_urls - n_dup - n_cov
    kept = ["/site/d%03d/page%05d.html?v=1" % (i // 100, i) for i in range(n_keep)]
    covered = ["/g/p%02d/x%05d.html" % (j % 20, j) for j in range(n_cov)]
    paths = kept + covered + [rnd.choice(kept + covered) for _round in range(n_dup)] + patterns
    rnd.shuffle(paths)
    return paths, {"url": kept, "pattern": prefixes + inner}

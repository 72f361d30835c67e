#!/usr/bin/env bash
# antsibull-changelog, from .venvs/docs (requirements-docs.txt; created by scripts/docs.sh or here).
#   scripts/changelog.sh lint        # check changelogs/fragments/*.yml
#   scripts/changelog.sh release     # release the version in galaxy.yml: fragments -> changelogs/changelog.yaml
#                                    # and CHANGELOG.rst (the fragments are removed, keep_fragments: false)
#   scripts/changelog.sh generate    # rewrite CHANGELOG.rst from changelogs/changelog.yaml
#   scripts/changelog.sh release --update-existing
#                                    # add new fragments to the release of that version, when it was recorded
#                                    # but not published yet
# New modules and plugins are found by their version_added, roles by their argument_specs' version_added;
# everything else needs a fragment (see changelogs/fragments/ and scripts/check_changelog_fragment.sh).
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=$PWD/.venvs/docs
# shellcheck source=scripts/venv.sh
. scripts/venv.sh
ensure_venv "$VENV" requirements-docs.txt
export PATH=$VENV/bin:$PATH  # antsibull-changelog runs ansible-doc to find new plugins
unset ANSIBLE_COLLECTIONS_PATH ANSIBLE_CONFIG

command=${1:-lint}
shift || true
case "$command" in
  lint) antsibull-changelog lint "$@" ;;
  release) antsibull-changelog release "$@" ;;
  generate) antsibull-changelog generate "$@" ;;
  *) echo "usage: $0 [lint|release|generate]" >&2; exit 2 ;;
esac
# antsibull-changelog's cache of plugin descriptions: rebuilt when needed, not kept (yamllint -s rejects it).
rm -f changelogs/.plugin-cache.yaml

#!/usr/bin/env bash
# Compatibility matrix: the unit and integration tests on the oldest supported ansible-core (2.16)
# and on the newest one that installs on this Python, each in its own venv under .venvs/.
#
#   scripts/compat.sh              # both
#   scripts/compat.sh 2.16 latest  # the same, explicitly
#   scripts/compat.sh 2.16         # one
#
# Each venv is requirements-dev.txt with ansible-core held by a pip constraint, so pip resolves
# every other tool (pytest-ansible, ansible-lint, ...) to versions that accept that core.
# A venv is reused while requirements*.txt are unchanged (stamp file).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
# Suites that prove how the collection behaves against faulty, slow or hostile servers (fault storms, kills, rate
# windows, moto) test our HTTP layer and ledger, which do not depend on ansible-core: make test runs them; the
# matrix leaves them out to keep CI well under its hour. Everything that goes through argument specs, module
# output, roles and ansible-playbook is still run on every ansible-core.
PROVIDER_BEHAVIOUR_ONLY=(
  --ignore=tests/integration/test_reliability.py --ignore=tests/integration/test_durability.py
  --ignore=tests/integration/test_rate_limited.py --ignore=tests/integration/test_hostile_servers.py
  --ignore=tests/integration/test_cloudfront_moto.py
)
PYTHON=${PYTHON:-python3}
WORKERS=${COMPAT_WORKERS:-2}
[ $# -gt 0 ] || set -- 2.16 latest

failed=()
for core in "$@"; do
  case "$core" in
    latest) spec="ansible-core" ;;  # pip picks the newest release that supports this Python
    [0-9]*.[0-9]*) spec="ansible-core==$core.*" ;;
    *) echo "compat.sh: unknown ansible-core '$core' (use 2.16, 2.17, ... or latest)" >&2; exit 2 ;;
  esac
  venv=.venvs/core-$core
  stamp=$venv/.installed
  constraints=$venv/constraints.txt
  if [ ! -f "$stamp" ] || [ requirements.txt -nt "$stamp" ] || [ requirements-dev.txt -nt "$stamp" ]; then
    echo "== creating $venv ($spec)"
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    echo "$spec" >"$constraints"
    if [ "$core" = latest ]; then
      # requirements-dev.txt caps ansible-core; "latest" means the newest that file and this Python allow.
      "$venv/bin/python" -m pip install --quiet -r requirements-dev.txt
    else
      "$venv/bin/python" -m pip install --quiet -r requirements-dev.txt -c "$constraints"
    fi
    touch "$stamp"
  fi
  version=$("$venv/bin/python" -c 'from ansible.release import __version__; print(__version__)')
  echo "== ansible-core $version on $("$venv/bin/python" -V 2>&1) ($venv)"
  # The integration tests link the repository into their own collections tree; clear anything that
  # would let the main venv's tools or another collections path leak in.
  if env -u ANSIBLE_COLLECTIONS_PATH -u PYTHONPATH PATH="$ROOT/$venv/bin:$PATH" VIRTUAL_ENV="$ROOT/$venv" \
      "$venv/bin/python" -m pytest tests/unit tests/integration -q -n "$WORKERS" -p no:cacheprovider "${PROVIDER_BEHAVIOUR_ONLY[@]}"; then
    echo "== ansible-core $version: passed"
  else
    echo "== ansible-core $version: FAILED"
    failed+=("$version")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "compat.sh: failed on ansible-core ${failed[*]}" >&2
  exit 1
fi

#!/usr/bin/env bash
# Packaging tests (tests/packaging): build the tarball, install it into an empty directory and purge through it
# against the emulator; make an execution-environment build context with ansible-builder and introspect it.
# ansible-builder lives in its own venv, .venvs/packaging (requirements-packaging.txt), created here.
# Needs the main venv (.venv, `make venv`). Extra arguments go to pytest.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=.venvs/packaging
if [ ! -x .venv/bin/python ]; then
  echo "packaging_tests.sh: .venv is missing; run 'make venv' first" >&2
  exit 2
fi
# shellcheck source=scripts/venv.sh
. scripts/venv.sh
ensure_venv "$VENV" requirements-packaging.txt
export ANSIBLE_BUILDER=$PWD/$VENV/bin/ansible-builder
exec env -u ANSIBLE_COLLECTIONS_PATH .venv/bin/python -m pytest tests/packaging -q -p no:cacheprovider "$@"

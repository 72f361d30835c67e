# shellcheck shell=bash
# ensure_venv DIR REQUIREMENTS: a venv at DIR with REQUIREMENTS installed, rebuilt when that file is newer than
# the venv's stamp. For tools that would conflict with the main venv (.venv, made by `make venv`).
ensure_venv() {
  local venv=$1 requirements=$2
  if [ ! -f "$venv/.installed" ] || [ "$requirements" -nt "$venv/.installed" ]; then
    rm -rf "$venv"
    "${PYTHON:-python3}" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -r "$requirements"
    touch "$venv/.installed"
  fi
}

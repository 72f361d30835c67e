"""Offline stand-in for the get-pip script ansible-test downloads to bootstrap its sanity venvs.

ansible-test fetches get-pip from a host this project's machines cannot reach; this script
does the same job from the standard library's ensurepip and the package index pip already uses.
It is copied into ansible-test's cache by `make sanity` and is not part of the collection.
"""

import ensurepip
import os
import subprocess
import sys

# get-pip's own flags, which pip install does not know.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}


def main():
    # ensurepip points PIP_CONFIG_FILE at /dev/null in os.environ; pip must see the machine's config.
    environment = dict(os.environ)
    ensurepip.bootstrap(upgrade=True)
    arguments = [argument for argument in sys.argv[1:] if argument not in GET_PIP_ONLY]
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", *arguments], env=environment)


if __name__ == "__main__":
    main()

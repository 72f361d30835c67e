"""Strict local emulator of CDN purge APIs: the entry point (CLI) of the emulator process.

Standard library only, so that tests and CI can start it wherever Python 3.10+ runs. The core (core/) is
provider-neutral; each vendor is one handler module in providers/, listed in providers/__init__.py.
See README.md next to this file for the CLI, the control API and the default credentials.
"""

import argparse
import json
import os
import signal
import ssl
import sys
import threading
from pathlib import Path

# The one place that makes core/ and providers/ importable, however this file is started (python -P too).
HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

# pylint: disable=wrong-import-position
import providers  # noqa: E402
from core.api import ConfigError  # noqa: E402
from core.config import FAULT_KINDS, Config  # noqa: E402
from core.registry import Registry  # noqa: E402
from core.server import EmulatorServer  # noqa: E402
from core.state import EmulatorState  # noqa: E402


def load_config_arg(text):
    """--config takes inline JSON or the path of a JSON file."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        if os.path.isfile(text):
            with open(text, encoding="utf-8") as handle:
                return json.load(handle)
        raise


def build_parser(registry):
    parser = argparse.ArgumentParser(description="Emulator of the purge APIs of " + ", ".join(registry.names) + ".")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    parser.add_argument("--port-file", help="write the bound port here (atomically) once listening")
    parser.add_argument("--latency-ms", type=float, help="delay added to every provider response (default 0)")
    parser.add_argument("--fault-rate", type=float, help="probability 0..1 of a random fault (default 0)")
    parser.add_argument("--faults", help="comma list of fault kinds to draw from: " + ",".join(FAULT_KINDS))
    for module in registry.modules.values():
        for flag, key, kind, text in getattr(module, "CLI_FLAGS", ()):
            parser.add_argument(flag, dest=key, type=kind, help=text)
    parser.add_argument("--tls-cert", help="PEM certificate: serve HTTPS")
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert")
    parser.add_argument("--config", help="JSON object (or path of a JSON file) of config keys")
    parser.add_argument("--verbose", action="store_true", help="log requests and errors to stderr")
    return parser


def build_startup_config(parser, args, config):
    patch = {}
    if args.config:
        try:
            patch.update(load_config_arg(args.config))
        except (OSError, ValueError, TypeError) as exc:
            parser.error(f"--config: {exc}")
    flags = {
        "latency_ms": args.latency_ms,
        "fault_rate": args.fault_rate,
        "faults": [kind.strip() for kind in args.faults.split(",") if kind.strip()] if args.faults else None,
    }
    for module in config.registry.modules.values():
        flags.update({key: getattr(args, key) for _flag, key, _kind, _text in getattr(module, "CLI_FLAGS", ())})
    patch.update({key: value for key, value in flags.items() if value is not None})
    try:
        return config.merge(config.defaults(), patch)
    except ConfigError as exc:
        parser.error(str(exc))
    return None  # unreachable: parser.error exits


def write_port_file(path, port):
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(f"{port}\n")
    os.replace(tmp, path)


def main(argv=None):
    registry = Registry(providers.HANDLERS)
    config = Config(registry)
    parser = build_parser(registry)
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    startup = build_startup_config(parser, args, config)
    context = None
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
    server = EmulatorServer((args.host, args.port), EmulatorState(registry, config, startup), args.verbose, context)

    def stop(_signum, _frame):
        # shutdown() waits for serve_forever(), which runs in this very thread: call it from another.
        threading.Thread(target=server.shutdown, daemon=True).start()

    # Installed before announcing the port, so a SIGTERM right after start still exits cleanly.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    port = server.server_address[1]
    if args.port_file:
        write_port_file(args.port_file, port)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"cdn-emulator listening on {'https' if context else 'http'}://{host}:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bulk-purge benchmark behind benchmarks/run.py (docs/performance.md).

config: paths, sizes, limits and targets; measure: the measured-command wrapper and the /proc sampler;
ansible_runner: ansible-playbook and ansible, measured; emulator: the emulator (tests/support/emulator_support);
datasets: the path generators; core: rows, targets, vars files and shared checks; limit: one request per URL
against the limit (A/L, FA/FL); inprocess: the collection's code run in this process; step_*: one module per
measured step; profiling: --profile; report: the header and the table; cli: the command line. run.py puts
tests/support on sys.path before any of these is imported.
"""

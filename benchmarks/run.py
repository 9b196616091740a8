"""Run the benchmark suite, print its tables and write them to JSON.

python -m benchmarks                     # everything, full size (about five minutes)
python -m benchmarks --quick             # tiny sizes: checks that everything runs
python -m benchmarks --only training_step engine_overhead --json bench.json
python -m benchmarks --only layers       # the CNN and LSTM steps against PyTorch
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time

from . import anomaly, end_to_end, engine_overhead, kernels, layers, memory, training_step
from ._common import machine, table

BENCHMARKS = {  # engine_overhead first, before PyTorch's import adds 10⁵ objects to the GC
    "engine_overhead": engine_overhead.run,
    "training_step": training_step.run,
    "layers": layers.run,
    "kernels": kernels.run,
    "memory": memory.run,
    "end_to_end": end_to_end.run,
    "anomaly": anomaly.run,
}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the smoke test")
    parser.add_argument("--json", metavar="FILE", help="also write the results to FILE")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=list(BENCHMARKS),
        metavar="NAME",
        help=f"run only these benchmarks (in the order {', '.join(BENCHMARKS)})",
    )
    args = parser.parse_args(argv)
    about = machine()
    print(describe(about), flush=True)
    command = shlex.join(["python", "-m", "benchmarks", *(sys.argv[1:] if argv is None else argv)])
    results = {"command": command, "machine": about, "quick": args.quick, "benchmarks": {}}
    for name in [n for n in BENCHMARKS if n in (args.only or BENCHMARKS)]:  # in this order
        start = time.perf_counter()
        result = BENCHMARKS[name](args.quick)
        result["seconds"] = time.perf_counter() - start
        results["benchmarks"][name] = result
        print(f"\n{name} — {result['title']}\n")
        print(table(result["columns"], result["rows"]))
        for note in result["notes"]:
            print(f"  · {note}")
        print(flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2, default=float)
            fh.write("\n")
        print(f"results written to {args.json}")
    return results


def describe(about: dict) -> str:
    torch = about["torch"] or "not installed"
    return (
        f"{about['cpu']}, {about['logical_cpus']} logical CPUs, BLAS threads "
        f"{about['blas_threads']}; Python {about['python']}, NumPy {about['numpy']}, "
        f"PyTorch {torch}; {about['platform']}; BLAS: {about['blas'] or 'unknown'}"
    )

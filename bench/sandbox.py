"""Sandbox figures: cold build (--cold only), up from the cache, reset, down, memory per host.

Run as root from the repository: `.venv/bin/python bench/sandbox.py [--cold] [--runs N]`.
--cold throws the whole image cache away first (MAILLAB_SANDBOX_CACHE or /var/cache/maillab-tui).
The lab is left down at the end. Not a timed test: it prints figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from maillab_tui.sandbox import Lab, SandboxError
from maillab_tui.sandbox.image import ensure_image, find_image, images_in_use, safe_rmtree


def timed(action: object) -> float:
    """Seconds one call takes."""
    started = time.monotonic()
    action()  # type: ignore[operator]
    return time.monotonic() - started


def fmt(values: list[float], unit: str = "s") -> str:
    """Median (and range) of a few measurements."""
    if len(values) == 1:
        return f"{values[0]:.1f} {unit}"
    return (f"{statistics.median(values):.1f} {unit} (median of {len(values)}, "
            f"{min(values):.1f}-{max(values):.1f})")


def main() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cold", action="store_true",
                        help="throw the image cache away and time a build from nothing")
    parser.add_argument("--runs", type=int, default=3, help="repetitions of the cheap steps")
    args = parser.parse_args()
    lab = Lab()
    try:
        lab.down()
        if args.cold:
            if images_in_use():
                print("a lab is running on a cached image: stop it before --cold", file=sys.stderr)
                return 1
            for child in lab.cache.iterdir() if lab.cache.is_dir() else []:
                if child.is_dir():
                    safe_rmtree(child)
            seconds = timed(lambda: ensure_image(lab.cache))
            image = find_image(lab.cache)
            manifest = json.loads(image.manifest.read_text()) if image else {}
            print(f"cold image build:       {seconds:.1f} s {manifest.get('times')}")
        elif find_image(lab.cache) is None:
            print("no cached image yet: building it (not timed; use --cold to time it)")
            lab.up(fresh=True)
            lab.down()
        ups, resets, downs, memory = [], [], [], {h.name: [] for h in lab.net.hosts}
        for _ in range(args.runs):
            ups.append(timed(lambda: lab.up(fresh=True)))
            time.sleep(2)
            for host in lab.status().hosts:
                if host.memory_bytes:
                    memory[host.name].append(host.memory_bytes / 2**20)
            resets.append(timed(lambda: lab.reset("host1")))
            downs.append(timed(lab.down))
        print(f"up from the cache:      {fmt(ups)}")
        print(f"reset host1:            {fmt(resets)}")
        print(f"down:                   {fmt(downs)}")
        for name, values in memory.items():
            print(f"memory {name} (idle):   {fmt(values, 'MiB')}")
        image = find_image(lab.cache)
        if image:
            du = subprocess.run(["du", "-sh", str(image.rootfs), str(image.repo), str(image.disc)],
                                capture_output=True, text=True, check=False).stdout
            sizes = ", ".join(f"{Path(p).name} {s}" for s, p in
                              (line.split("\t") for line in du.splitlines()))
            print(f"image:                  {image.path} ({sizes})")
    except SandboxError as err:
        print(f"error: {err}\n{err.hint}", file=sys.stderr)
        lab.down()
        return 1
    finally:
        lab.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Class grading with Ansible: the playbook's wall time for the two sandbox hosts.

    sudo .venv/bin/python bench/class_grading.py [--runs 3] [--walk]

Brings the lab up if it is not, puts an instructor's station on the lab network and sshd on
the hosts (as tests/integration/test_class_grading_live.py does), then times
`ansible-playbook examples/ansible/grade.yml` from the station against both hosts, against
`maillab-tui --check-only` run directly inside each host (the slowest of the two is the floor:
the playbook grades both at once; the sum is what one host after the other would cost).
`--walk` first brings host1 through the chapter and host2 half way (a few minutes), so that
the checks have real services to probe; without it the hosts are as they are. The lab is
left up; `maillab-tui sandbox down` ends it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from maillab_tui.sandbox import Lab
from tests.integration.classroom import Instructor, ansible_playbook, walk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--walk", action="store_true",
                        help="first walk host1 through the chapter and host2 half way")
    args = parser.parse_args()
    if ansible_playbook() is None:
        print("ansible-playbook is not installed: pip install ansible-core", file=sys.stderr)
        return 2
    lab = Lab()
    lab.up()
    if args.walk:
        walk(lab, {"host2": "read-mail"})
    workdir = Path(tempfile.mkdtemp(prefix="maillab-bench-"))
    try:
        instructor = Instructor(lab, workdir)
        instructor.setup()
        playbook, direct = [], {h.name: [] for h in lab.net.hosts}
        scores: dict[str, object] = {}
        for run in range(args.runs):
            results = workdir / f"results-{run}"
            proc, seconds = instructor.grade(results)
            if proc.returncode != 0:
                print(proc.stdout[-3000:], proc.stderr[-2000:], file=sys.stderr)
                return 1
            playbook.append(seconds)
            for host in lab.net.hosts:
                started = time.monotonic()
                lab.exec(host.name, ["maillab-tui", "--check-only", "--host", host.name,
                                     "--format", "json"], timeout=600)
                direct[host.name].append(time.monotonic() - started)
                data = json.loads((results / f"yamada-{host.name}.json").read_text())
                scores[host.name] = data.get("score")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    med = statistics.median
    floor = max(med(v) for v in direct.values())
    total = sum(med(v) for v in direct.values())
    print(f"class grading, 2 hosts, medians of {args.runs} runs "
          f"(scores: {', '.join(f'{h} {s}' for h, s in scores.items())})")
    for host, values in direct.items():
        print(f"  --check-only inside {host}          {med(values):6.2f} s")
    print(f"  both, one after the other          {total:6.2f} s")
    print(f"  ansible-playbook grade.yml         {med(playbook):6.2f} s  "
          f"({med(playbook) / floor:.1f}x the slower host: SSH, Python modules, fetch)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The self-test engine against a fake lab: phases, holds, mistakes, and honest verdicts."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from maillab_tui.chapter import ChapterError, parse_chapter
from maillab_tui.selftest.engine import SelfTest, load_mistakes, to_junit, write_output

CHAPTER = """---
id: st
title: ST
platforms: [debian12]
hosts:
  host1: {fqdn: a.example, peer: host2}
  host2: {fqdn: b.example, peer: host1}
---
## Do it {#do}

```sh
true
```

```yaml {check}
- shell: "true"
- shell: "true"
  holds: a default value
```

## Look {#look}

<!-- step: holds="a checking step only" -->

```sh
true
```

```yaml {check}
- shell: "true"
```
"""


class FakeLab:
    """Answers `maillab-tui --check-only` from a table: (host, step, phase) -> statuses."""

    def __init__(self, statuses) -> None:
        self.statuses = statuses
        self.commands: list[tuple[str, list[str]]] = []
        self.made: set[str] = set()

    def exec(self, host, argv, user=None, input=None, timeout=None, tty=False, capture=True):
        self.commands.append((host, list(argv)))
        if argv[0] == "sh":
            script = argv[-1]
            if script.startswith("make "):
                self.made.add(script.split()[1])
            elif script.startswith("undo "):
                self.made.discard(script.split()[1])
            return subprocess.CompletedProcess(argv, 0, "", "")
        step = argv[argv.index("--step") + 1] if "--step" in argv else None
        statuses = self.statuses(host, step, self.made)
        checks = [{"check": "shell", "check_id": f"shell-{i + 1}", "status": s, "message": s,
                   "diagnosis": "x.broken" if s == "fail" else None, "evidence": []}
                  for i, s in enumerate(statuses)]
        code = 0 if all(s == "pass" for s in statuses) else 1
        return subprocess.CompletedProcess(argv, code, json.dumps({"checks": checks}), "")


@pytest.fixture
def chapter(tmp_path: Path):
    path = tmp_path / "ja.md"
    path.write_text(CHAPTER, encoding="utf-8")
    parsed = parse_chapter(path)
    assert parsed.problems == ()
    return parsed


def walk(chapter, statuses, ran=None, mistakes=False):
    ran = ran if ran is not None else []
    lab = FakeLab(statuses)

    def run_step(host, step):
        ran.append((host, step.id))
        run_step.done.add((host, step.id))
        return True, ""

    run_step.done = set()  # type: ignore[attr-defined]
    test = SelfTest(lab, chapter, run_step, progress=lambda line: None)
    return test, test.run(mistakes=mistakes), lab


def test_a_clean_walk_passes_and_runs_each_step_twice_per_host(chapter) -> None:
    done: set = set()

    def statuses(host, step, made):
        if step is None:
            return ["pass", "pass", "pass"]
        key = (host, step)
        if key in done or step == "look":
            return ["pass", "pass"] if step == "do" else ["pass"]
        done.add(key)
        return ["fail", "pass"]  # the second check holds by declaration

    ran: list = []
    _, report, _ = walk(chapter, statuses, ran)
    assert report.ok, write_output(report, "text", None)
    assert ran == [("host1", "do"), ("host2", "do"), ("host1", "do"), ("host2", "do"),
                   ("host1", "look"), ("host2", "look"), ("host1", "look"), ("host2", "look")]
    assert [p.name for p in report.steps[0].phases] == ["before", "run", "after", "repeat",
                                                        "after-repeat"]


def test_a_check_passing_before_its_step_fails_the_walk(chapter) -> None:
    def statuses(host, step, made):
        return ["pass", "pass"] if step == "do" else ["pass"]

    _, report, _ = walk(chapter, statuses)
    assert not report.ok
    before = report.steps[0].phases[0]
    assert before.name == "before" and not before.ok
    assert "shell-1: already pass before the step" in before.detail
    assert "shell-2" not in before.detail  # it declares holds


def test_failing_after_the_step_fails_and_says_which_check(chapter) -> None:
    def statuses(host, step, made):
        return ["fail", "fail"] if step == "do" else ["pass"]

    _, report, _ = walk(chapter, statuses)
    assert not report.ok
    after = next(p for p in report.steps[0].phases if p.name == "after")
    assert not after.ok and "shell-1: fail" in after.detail
    text = write_output(report, "text", None)
    assert text.startswith("selftest st: FAIL")


def test_junit_and_json_say_fail_when_anything_failed(chapter) -> None:
    def statuses(host, step, made):
        return ["fail", "fail"] if step == "do" else ["pass"]

    _, report, _ = walk(chapter, statuses)
    root = ET.fromstring(to_junit(report))
    failures = sum(int(s.get("failures", "0")) for s in root.iter("testsuite"))
    assert failures >= 2
    assert json.loads(write_output(report, "json", None))["ok"] is False


def test_mistakes_must_be_diagnosed_and_undone(chapter, tmp_path: Path) -> None:
    (tmp_path / "mistakes.yaml").write_text(
        "- id: broken\n  host: host1\n  step: do\n  check: shell-1\n  diagnosis: x.broken\n"
        "  make: make broken\n  undo: undo broken\n"
        "- id: undiagnosed\n  host: host2\n  step: do\n  check: shell-1\n  diagnosis: x.other\n"
        "  make: make undiagnosed\n  undo: undo undiagnosed\n", encoding="utf-8")
    done: set = set()

    def statuses(host, step, made):
        if made:
            return ["fail", "pass"]
        if step is None or (host, step) in done or step == "look":
            return ["pass", "pass"] if step in ("do", None) else ["pass"]
        done.add((host, step))
        return ["fail", "pass"]

    _, report, lab = walk(chapter, statuses, mistakes=True)
    by_id = {m.id: m for m in report.mistakes}
    assert by_id["broken"].ok
    assert not by_id["undiagnosed"].ok and "expected shell-1 to fail with x.other" in (
        by_id["undiagnosed"].detail)
    assert not lab.made  # every mistake was undone
    assert not report.ok


def test_a_mistakes_file_naming_an_unknown_check_is_a_chapter_error(chapter, tmp_path) -> None:
    (tmp_path / "mistakes.yaml").write_text(
        "- id: x\n  step: do\n  check: nope-1\n  diagnosis: d\n  make: m\n  undo: u\n",
        encoding="utf-8")
    with pytest.raises(ChapterError) as info:
        load_mistakes(chapter)
    assert f"{tmp_path / 'mistakes.yaml'}:1: step 'do' has no check 'nope-1'" in str(info.value)


def test_stage_solves_and_grades_each_step_once_and_stops_a_host_where_told(chapter) -> None:
    graded: list = []

    def statuses(host, step, made):
        graded.append((host, step))
        return ["fail"] if (host, step) == ("host1", "look") else ["pass"]

    ran: list = []
    lab = FakeLab(statuses)
    test = SelfTest(lab, chapter, lambda host, step: (ran.append((host, step.id)), (True, ""))[1],
                    progress=lambda line: None)
    runs = test.stage({"host2": "do"})
    assert ran == [("host1", "do"), ("host2", "do"), ("host1", "look")]
    assert graded == ran  # one grading after each solve, none before or on repeat
    assert [(r.step, r.host, r.ok) for r in runs] == [
        ("do", "host1", True), ("do", "host2", True), ("look", "host1", False)]
    with pytest.raises(ValueError, match="nosuch"):
        test.stage({"host2": "nosuch"})


def test_a_mistake_on_the_lab_runs_sandbox_commands_and_is_graded_on_check_host(
        chapter, tmp_path: Path) -> None:
    (tmp_path / "mistakes.yaml").write_text(
        "- id: no-mx\n  host: lab\n  check_host: host2\n  step: do\n  check: shell-1\n"
        "  diagnosis: x.broken\n  make: dns hide MX b.example\n  undo: dns restore\n",
        encoding="utf-8")
    (mistake,) = load_mistakes(chapter)
    sandbox: list[list[str]] = []
    graded: list = []

    def statuses(host, step, made):
        graded.append((host, step, bool(sandbox) and sandbox[-1][1] == "hide"))
        return ["fail", "pass"] if graded[-1][2] else ["pass", "pass"]

    test = SelfTest(FakeLab(statuses), chapter, lambda h, s: (True, ""),
                    progress=lambda line: None,
                    sandbox=lambda words: (sandbox.append(words), (0, ""))[1])
    result = test.mistake(mistake)
    assert result.ok, result.detail
    assert sandbox == [["dns", "hide", "MX", "b.example"], ["dns", "restore"]]
    assert graded == [("host2", "do", True), ("host2", "do", False)]


def test_a_mistake_on_the_lab_must_name_a_check_host_and_a_dns_command(chapter, tmp_path) -> None:
    (tmp_path / "mistakes.yaml").write_text(
        "- id: x\n  host: lab\n  step: do\n  check: shell-1\n  diagnosis: d\n"
        "  make: rm -rf /etc\n  undo: dns restore\n", encoding="utf-8")
    with pytest.raises(ChapterError) as info:
        load_mistakes(chapter)
    text = str(info.value)
    assert f"{tmp_path / 'mistakes.yaml'}:1: a mistake made on the lab needs check_host" in text
    assert "make: on host 'lab' it is a `maillab-tui sandbox dns` command" in text
    assert "undo:" not in text


def test_stage_can_walk_only_some_hosts(chapter) -> None:
    ran: list = []
    lab = FakeLab(lambda host, step, made: ["pass"])
    test = SelfTest(lab, chapter, lambda host, step: (ran.append((host, step.id)), (True, ""))[1],
                    progress=lambda line: None)
    test.stage({"host2": "do"}, hosts=["host2"])
    assert ran == [("host2", "do")]


def test_the_report_says_which_steps_only_the_solve_proves(tmp_path: Path) -> None:
    path = tmp_path / "ja.md"
    path.write_text("""---
id: how
title: How
platforms: [debian12]
hosts:
  host1: {fqdn: a.example, peer: host1}
---
## Edit {#edit}

```sh {kind=edit file=/etc/x.conf}
sudo vi /etc/x.conf
```

```sh {solve}
echo x=1 | sudo tee /etc/x.conf
```

```yaml {check}
- shell: "true"
```

## Install {#install}

```sh {kind=terminal}
sudo apt-get install postfix
```

```sh {solve}
sudo DEBIAN_FRONTEND=noninteractive apt-get install -y postfix
```

```yaml {check}
- shell: "true"
```

## Plain {#plain}

```sh
true
```

```yaml {check}
- shell: "true"
```
""", encoding="utf-8")
    chapter = parse_chapter(path)
    done: set = set()

    def statuses(host, step, made):
        if step is None or (host, step) in done:
            return ["pass"]
        done.add((host, step))
        return ["fail"]

    _, report, _ = walk(chapter, statuses, [])
    how = {s.step: (s.proven_by, s.why) for s in report.steps}
    assert how == {"edit": ("solve", "an editor (/etc/x.conf)"),
                   "install": ("solve", "the installer's screens (debconf)"),
                   "plain": ("commands", "plain")}
    data = json.loads(write_output(report, "json", None))
    assert data["steps"][0]["proven_by"] == "solve" and data["steps"][2]["why"] == "plain"
    text = write_output(report, "text", None)
    assert "proven by the solve" in text and "install" in text.split("proven by the solve")[1]

"""How the self-test runs a step's commands on a sandbox host: the runner, on autopilot."""

from __future__ import annotations

from maillab_tui.chapter import Step
from maillab_tui.chapter.model import CommandBlock
from maillab_tui.run import Listener, Runner, Target
from maillab_tui.run.secrets import PasswordPrompt

FOLLOW_SECONDS = 3.0


class AutopilotListener(Listener):
    """Answers sudo with the learner's password and keeps the last lines for the report."""

    def __init__(self, sudo_password: str) -> None:
        self.sudo_password = sudo_password
        self.lines: list[str] = []

    def on_output(self, lines: list[str]) -> None:
        """Keep the tail of the output."""
        self.lines = (self.lines + list(lines))[-40:]

    def on_password_prompt(self, prompt: PasswordPrompt) -> str | None:
        """sudo gets the learner's password; any other prompt is the dialogue's to answer."""
        return self.sudo_password if prompt.is_sudo else None


class StepRunner:
    """Runs a step's solve inside a sandbox host through the runner, as the learner."""

    def __init__(self, lab: object, chapter: object, platform: str, learner: str,
                 password: str) -> None:
        self.lab = lab
        self.chapter = chapter
        self.platform = platform
        self.learner = learner
        self.password = password
        self.runners: dict[str, Runner] = {}

    def runner(self, host: str) -> Runner:
        """One runner per host, so that captured values carry from block to block; its way
        into the host is asked again each time (a rebooted host has another init process)."""
        prefix = self.lab.nsenter_argv(host, self.learner)  # type: ignore[attr-defined]
        target = Target.through(prefix, self.learner, label=f"{self.learner}@{host}")
        if host not in self.runners:
            self.runners[host] = Runner.for_chapter(
                self.chapter, host, self.platform, target, record=False, autopilot=True  # type: ignore[arg-type]
            )
        else:
            self.runners[host].target = target
        return self.runners[host]

    def __call__(self, host: str, step: Step) -> tuple[bool, str]:
        """Run every solve block of the step on `host`; (ok, what went wrong)."""
        runner = self.runner(host)
        for block in step.solve_for(self.platform, host):
            ok, detail = self.run_block(runner, block)
            if not ok:
                return False, detail
        return True, ""

    def run_block(self, runner: Runner, block: CommandBlock) -> tuple[bool, str]:
        """One block; a follow block runs for a moment and is stopped, as a learner would."""
        listener = AutopilotListener(self.password)
        run = runner.start(block, listener)
        if block.kind == "follow":
            import threading

            timer = threading.Timer(FOLLOW_SECONDS, run.cancel)
            timer.start()
            result = run.execute()
            timer.cancel()
            return result.status in ("stopped", "cancelled", "ok"), "\n".join(listener.lines[-10:])
        result = run.execute()
        if result.ok or result.status == "skipped":
            return True, ""
        failure = f" ({result.failure})" if result.failure else ""
        tail = "\n".join(listener.lines[-12:])
        return False, (f"line {block.line}: {result.status}{failure}: {result.message}\n"
                       f"$ {result.command}\n{tail}")

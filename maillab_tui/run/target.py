"""Where and as whom a command runs: this machine, or a lab host entered through a prefix."""

from __future__ import annotations

import getpass
import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType


def _current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.geteuid())


def _no_env() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Target:
    """Turns a chapter command and its `user=` into the argv that runs it.

    `prefix` is put in front of everything (e.g. `nsenter -t PID ... -- su -l admin -c
    'exec "$0" "$@"' --` to run as the learner inside a lab host). `learner` is who commands run
    as when a block names no user; `learner_is_root` decides how another user is reached:
    `su - USER -c CMD` as root, `sudo su - USER -c CMD` otherwise, as the textbook does it.
    `env` is set for every command (after the prefix, with `env`, so it survives `env -i`).
    """

    prefix: tuple[str, ...] = ()
    learner: str = field(default_factory=_current_user)
    learner_is_root: bool = field(default_factory=lambda: os.geteuid() == 0)
    shell: tuple[str, ...] = ("/bin/bash", "-c")
    env: Mapping[str, str] = field(default_factory=_no_env)
    su_options: tuple[str, ...] = ()
    label: str = "local"

    @classmethod
    def through(cls, prefix: Sequence[str], learner: str, *, learner_is_root: bool = False,
                label: str = "", env: Mapping[str, str] | None = None) -> Target:
        """Another namespace or host: `prefix` runs the rest of the argv there as `learner`."""
        return cls(prefix=tuple(prefix), learner=learner, learner_is_root=learner_is_root,
                   env=MappingProxyType(dict(env or {})), label=label or "prefix")

    def _other_user(self, user: str | None) -> str | None:
        """`user` when it is not the learner (who needs no su)."""
        return user if user and user != self.learner else None

    def _wrap(self, inner: list[str], env: Mapping[str, str] | None) -> list[str]:
        """The prefix, then `env K=V ...` when there is anything to set, then the command."""
        merged = {**self.env, **(env or {})}
        setenv = ["env", *(f"{k}={v}" for k, v in merged.items())] if merged else []
        return [*self.prefix, *setenv, *inner]

    def argv(self, command: str, user: str | None = None,
             env: Mapping[str, str] | None = None, script_fd: int | None = None) -> list[str]:
        """The argv for a shell command, as the learner or (login environment) as `user`.

        With `script_fd` the command is not on any command line (it holds a secret: sudo logs
        command lines, and the variables it is asked to keep; ps shows command lines): the
        process gets it on that inherited descriptor (a private temporary file). As the
        learner, the shell reads it from there and runs it. As another user, the file becomes
        the standard input of `sudo su - USER -c 'c=$(cat) ...'`, which reads it and runs it:
        such a command then has no input to read but the terminal (/dev/tty).
        """
        other = self._other_user(user)
        if script_fd is not None:
            run = 'c=$(cat; echo .); eval "${c%.}"'
            if other is None:
                read = f"c=$(cat <&{script_fd}; echo .); exec {script_fd}<&-; "
                return self._wrap([*self.shell, read + 'eval "${c%.}"'], env)
            su = ["su", *self.su_options, "-", other, "-c", run]
            if not self.learner_is_root:
                su = ["sudo", *su]
            feed = f'exec 0<&{script_fd} {script_fd}<&-; exec "$@"'
            return self._wrap([*self.shell, feed, "maillab-command", *su], env)
        if other is None:
            return self._wrap([*self.shell, command], env)
        su = ["su", *self.su_options, "-", other, "-c", command]
        return self._wrap(su if self.learner_is_root else ["sudo", *su], env)

    def program_argv(self, argv: Sequence[str], user: str | None = None,
                     env: Mapping[str, str] | None = None) -> list[str]:
        """The argv for a program given as words (an editor), as the learner or as `user`."""
        if self._other_user(user) is None:
            return self._wrap(list(argv), env)
        return self.argv(shlex.join(argv), user, env)

    def describe(self, user: str | None = None) -> str:
        """Who and where, for messages: `admin@local`, `user1@host2`."""
        return f"{self._other_user(user) or self.learner}@{self.label}"

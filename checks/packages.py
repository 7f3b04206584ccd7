"""The `package_installed` check: rpm -q on AlmaLinux, dpkg-query on Debian.

A package may have another name on the other platform (cyrus-sasl on AlmaLinux is
sasl2-bin on Debian): give `name` plus an `rpm` or `deb` override.
"""

from __future__ import annotations

from maillab_tui.check import Context, Diagnosis, Result, failed, package_check, passed, t
from maillab_tui.checking.probes import tool_missing


def _not_installed(package: str, evidence: str, how: str) -> Result:
    """The failure for a package that is not (fully) installed."""
    return failed(
        t(f"パッケージ {package} がインストールされていません",
          f"package {package} is not installed"),
        evidence,
        Diagnosis("package.not-installed",
                  t(f"{package} がインストールされていません。インストール手順を実行しましたか？",
                    f"{package} is not installed: was the install step run?"),
                  how),
    )


@package_check(
    "package_installed",
    "パッケージがインストールされている / A package is installed.",
)
def package_installed(ctx: Context, package_format: str, package: str) -> Result:
    """Ask the platform's package database about the package; evidence is its version."""
    if package_format == "rpm":
        proc = ctx.run(["rpm", "-q", package])
        problem = tool_missing(proc)
        if problem is not None:
            return problem
        out = proc.stdout.strip()
        if proc.returncode == 0 and out and "not installed" not in out:
            return passed(t(f"{package} がインストールされています", f"{package} is installed"),
                          out)
        return _not_installed(package, proc.output, f"sudo dnf install {package}")
    proc = ctx.run(["dpkg-query", "-W", "-f=${Status} ${Version}", package])
    problem = tool_missing(proc)
    if problem is not None:
        return problem
    status = proc.stdout.strip()
    if proc.returncode != 0 or not status:
        return _not_installed(package, proc.output, f"sudo apt install {package}")
    words = status.split()
    # ${Status} is "want flag state": "install ok installed" is the only fully installed one.
    state = words[2] if len(words) >= 3 else ""
    version = words[3] if len(words) >= 4 else ""
    if state == "installed":
        return passed(t(f"{package} {version} がインストールされています",
                        f"{package} {version} is installed"), f"{package}: {status}")
    if state in ("not-installed", "config-files"):
        return _not_installed(package, f"{package}: {status}", f"sudo apt install {package}")
    return failed(
        t(f"{package} のインストールが完了していません（{state}）",
          f"{package} is not completely installed ({state})"),
        f"{package}: {status}",
        Diagnosis("package.half-installed",
                  t("インストールが途中で止まっています。", "the installation stopped half-way."),
                  f"sudo dpkg --configure -a && sudo apt install {package}"),
    )

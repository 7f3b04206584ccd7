"""Install-DVD checks: the disc is mounted somewhere; a package was installed from a file on it.

`dvd_mounted` never assumes a mount point. It reads /proc/mounts and `lsblk -J -o
NAME,LABEL,MOUNTPOINT,FSTYPE,TYPE` (falling back to /dev/disk/by-label) and accepts a mount
of /dev/sr0 (any filesystem: in the sandbox the disc is an ext4 image), of an optical (rom)
device, of an iso9660 filesystem (AlmaLinux mounts the DVD under /run/media/USER/LABEL),
or of a filesystem whose label contains "DVD". With `contains` a file pattern must match under
the mount point (e.g. `AppStream/Packages/s-nail-*.rpm`).

`package_from_file` proves a package was installed from a package file, not a repository:
- deb: /var/log/apt/history.log (and rotated history.log.1, .gz) has a transaction touching
  the package whose `Commandline:` names a .deb file (`apt-get install ./s-nail_...deb`,
  `apt install /media/cdrom/.../s-nail_*.deb`); a package in /var/log/dpkg.log after its last
  apt transaction was installed with `dpkg -i FILE`.
- rpm: `dnf info --installed NAME` says `From repo : @commandline`.

Diagnoses: dvd.no-disc, dvd.not-mounted, dvd.file-missing, package.from-repository,
package.not-installed.
"""

from __future__ import annotations

import gzip
import re

from maillab_tui.check import (
    Context,
    Result,
    check,
    error,
    failed,
    package_check,
    passed,
    t,
)
from maillab_tui.checking.probes import permission_denied, tool_missing
from maillab_tui.checking.sysparse import (
    AptRun,
    BlockDevice,
    Mount,
    parse_apt_history,
    parse_colon_fields,
    parse_lsblk,
    parse_mounts,
)
from maillab_tui.mail.diagnoses import diagnose


def _by_label(ctx: Context) -> list[BlockDevice]:
    """Devices with a label, from the /dev/disk/by-label symlinks (when lsblk is missing)."""
    directory = ctx.path("/dev/disk/by-label")
    out: list[BlockDevice] = []
    try:
        entries = list(directory.iterdir())
    except OSError:
        return out
    for entry in entries:
        try:
            target = entry.resolve().name
        except OSError:
            continue
        label = re.sub(r"\\x([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), entry.name)
        out.append(BlockDevice(target, label))
    return out


def _is_disc(device: BlockDevice) -> bool:
    """True for the optical drive or anything that looks like an install DVD."""
    return (device.path == "/dev/sr0" or device.type == "rom" or device.fstype == "iso9660"
            or "dvd" in device.label.lower())


def _is_disc_mount(mount: Mount, discs: dict[str, BlockDevice]) -> bool:
    """True for a mount of the drive, of a disc-like device, or of an ISO 9660 filesystem."""
    return (mount.device == "/dev/sr0" or mount.device in discs or mount.fstype == "iso9660"
            or mount.fstype == "udf")


@check(
    "dvd_mounted",
    "インストール DVD（ISO イメージ）がどこかにマウントされている（マウント先は決め打ちしない） / "
    "The install DVD (ISO image) is mounted somewhere.",
)
def dvd_mounted(ctx: Context, contains: str | None = None) -> Result:
    """Find the disc in /proc/mounts and lsblk; pass with its mount point.

    Parameters:
        contains: a file pattern that must exist under the mount point, e.g.
            AppStream/Packages/s-nail-*.rpm
    """
    try:
        mounts = parse_mounts(ctx.path("/proc/mounts").read_text(encoding="utf-8",
                                                                  errors="replace"))
    except OSError as exc:
        return error(t(f"/proc/mounts を読めません: {exc}", f"cannot read /proc/mounts: {exc}"))
    proc = ctx.run(["lsblk", "-J", "-o", "NAME,LABEL,MOUNTPOINT,FSTYPE,TYPE"], timeout=10)
    devices = parse_lsblk(proc.stdout) if proc.ok else _by_label(ctx)
    discs = {d.path: d for d in devices if _is_disc(d)}
    found = [m for m in mounts if _is_disc_mount(m, discs)]
    evidence = [f"{m.device} on {m.mountpoint} type {m.fstype}" for m in found]
    if found:
        mount = found[0]
        if contains:
            base = ctx.path(mount.mountpoint)
            hits = sorted(base.glob(contains.lstrip("/")))
            if not hits:
                name = contains.rsplit("/", 1)[-1]
                return failed(t(f"{mount.mountpoint} に {contains} がありません",
                                f"{mount.mountpoint} has no {contains}"),
                              evidence, diagnose("dvd.file-missing", mountpoint=mount.mountpoint,
                                                 pattern=contains, name=name))
            evidence.append(str(hits[0].relative_to(base)))
        return passed(t(f"DVD が {mount.mountpoint} にマウントされています",
                        f"the DVD is mounted on {mount.mountpoint}"), evidence)
    with_media = [d for d in discs.values() if d.fstype]
    if with_media:
        disc = with_media[0]
        return failed(t(f"{disc.path}（{disc.label or disc.fstype}）はマウントされていません",
                        f"{disc.path} ({disc.label or disc.fstype}) is not mounted"),
                      [f"{d.path}: label={d.label} fstype={d.fstype} "
                       f"mountpoint={d.mountpoint or '-'}" for d in with_media],
                      diagnose("dvd.not-mounted", device=disc.path,
                               label=disc.label or disc.fstype))
    return failed(t("DVD（ISO イメージ）が見つかりません", "no DVD (ISO image) found"),
                  [f"{d.path}: type={d.type or '?'} fstype={d.fstype or '-'}" for d in
                   discs.values()] or ["lsblk: no optical drive"],
                  diagnose("dvd.no-disc"))


_APT_LOGS = ("/var/log/apt/history.log", "/var/log/apt/history.log.1")
_DPKG_ACTION = re.compile(
    r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (install|upgrade) (\S+?)(?::\S+)? ")


def _apt_runs(ctx: Context) -> list[AptRun]:
    """The transactions of apt's history logs, oldest first (rotated .gz ones included)."""
    texts: list[str] = []
    directory = ctx.path("/var/log/apt")
    rotated = sorted(directory.glob("history.log.*.gz"),
                     key=lambda p: int(re.sub(r"\D", "", p.name) or 0), reverse=True) \
        if directory.is_dir() else []
    for path in rotated[-5:]:
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
            texts.append(handle.read())
    for name in reversed(_APT_LOGS):
        path = ctx.path(name)
        if path.exists():
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return [run for text in texts for run in parse_apt_history(text)]


def _stamp(text: str) -> str:
    """An apt or dpkg time (`2026-11-28  18:14:06`) as a sortable `2026-11-28 18:14:06`."""
    return " ".join(text.split())


def _deb(ctx: Context, package: str) -> Result:
    """The Debian verdict: apt history first, then dpkg.log."""
    proc = ctx.run(["dpkg-query", "-W", "-f=${Status} ${Version}", package], timeout=15)
    problem = tool_missing(proc)
    if problem is not None:
        return problem
    if not proc.stdout.startswith("install ok installed"):
        return failed(t(f"{package} がインストールされていません", f"{package} is not installed"),
                      f"dpkg-query -W {package}: {proc.output or 'not installed'}",
                      diagnose("package.not-installed", package=package,
                               how=f"sudo apt-get install ./{package}_*.deb"))
    try:
        runs = [r for r in _apt_runs(ctx) if r.touches(package)]
        dpkg_text = ctx.path("/var/log/dpkg.log").read_text(encoding="utf-8", errors="replace") \
            if ctx.path("/var/log/dpkg.log").exists() else ""
    except PermissionError:
        return permission_denied("/var/log/apt/history.log", ctx.platform)
    dpkg_times = [m.group(1) for m in map(_DPKG_ACTION.match, dpkg_text.splitlines())
                  if m and m.group(3) == package]
    last = runs[-1] if runs else None
    if last is not None:
        files = [f for f in last.package_files() if f.rsplit("/", 1)[-1].startswith(f"{package}_")]
        evidence = [f"Start-Date: {last.start}", f"Commandline: {last.commandline}",
                    f"{last.touches(package)}: {package}"]
        if files:
            return passed(t(f"{package} はファイル {files[0]} からインストールされました",
                            f"{package} was installed from the file {files[0]}"), evidence)
    newest_dpkg = max(dpkg_times) if dpkg_times else ""
    # dpkg.log alone (or after apt's last transaction ended) means `dpkg -i FILE`: apt's own
    # dpkg calls all fall between its Start-Date and End-Date.
    if newest_dpkg and (last is None or newest_dpkg > _stamp(last.end)):
        return passed(t(f"{package} は dpkg でファイルからインストールされました（{newest_dpkg}）",
                        f"{package} was installed from a file with dpkg ({newest_dpkg})"),
                      [f"/var/log/dpkg.log: {newest_dpkg} {package}",
                       "apt history: " + (f"last {last.start} - {last.end}" if last else "none")])
    if last is not None:
        return failed(t(f"{package} はリポジトリからインストールされています",
                        f"{package} was installed from a repository"),
                      [f"Start-Date: {last.start}", f"Commandline: {last.commandline}"],
                      diagnose("package.from-repository", package=package,
                               source=f"apt: {last.commandline}",
                               how=f"sudo apt-get install --reinstall /（DVD のマウント先）/.../"
                                   f"{package}_*.deb"))
    return error(t(f"{package} をどこからインストールしたかの記録がありません",
                   f"there is no record of where {package} was installed from"),
                 "/var/log/apt/history.log, /var/log/dpkg.log: no entry")


def _rpm(ctx: Context, package: str) -> Result:
    """The AlmaLinux verdict: `dnf info --installed` From repo."""
    # --disablerepo: the installed package's origin is in dnf's own database; no repository
    # (and no network or metadata cache) is needed to read it.
    proc = ctx.run(["dnf", "-q", "--disablerepo=*", "info", "--installed", package], timeout=60)
    problem = tool_missing(proc)
    if problem is not None:
        return problem
    fields = parse_colon_fields(proc.stdout)
    if proc.returncode != 0 or "Name" not in fields:
        return failed(t(f"{package} がインストールされていません", f"{package} is not installed"),
                      proc.output.splitlines()[-2:] or f"dnf info --installed {package}",
                      diagnose("package.not-installed", package=package,
                               how=f"sudo dnf install ./{package}-*.rpm"))
    source = fields.get("From repo", "")
    evidence = [f"{k}: {fields[k]}" for k in ("Name", "Version", "Release", "From repo")
                if k in fields]
    if source == "@commandline":
        return passed(t(f"{package} はファイルからインストールされました"
                        "（From repo: @commandline）",
                        f"{package} was installed from a file (From repo: @commandline)"), evidence)
    return failed(t(f"{package} はリポジトリ {source or '?'} からインストールされています",
                    f"{package} was installed from the repository {source or '?'}"),
                  evidence,
                  diagnose("package.from-repository", package=package, source=source or "?",
                           how=f"sudo dnf reinstall /（DVD のマウント先）/AppStream/Packages/"
                               f"{package}-*.rpm"))


@package_check(
    "package_from_file",
    "パッケージがリポジトリではなくパッケージファイル（DVD の .rpm / .deb）から"
    "インストールされた / "
    "A package was installed from a package file (on the DVD), not from a repository.",
)
def package_from_file(ctx: Context, package_format: str, package: str) -> Result:
    """apt history / dpkg.log on Debian, `dnf info --installed` on AlmaLinux."""
    if package_format == "rpm":
        return _rpm(ctx, package)
    return _deb(ctx, package)

"""Build and cache the lab image: Debian 12 root filesystem, local package repository, disc.

The image lives outside the repository in `<cache>/images/<key>/`, where the key hashes
everything that goes into it (package lists, this script's version, the mirror). It holds no
maillab-tui: the lab copies the one file into each host as it starts (lab.py), the way an
instructor gives it to a student. Layout of one image directory:

- `rootfs/`   Debian 12 with systemd, no mail software; the read-only lower layer of each host
- `repo/`     flat apt repository with everything the chapter installs, and all dependencies
- `disc.img`  ext4 "DVD" (label Debian-12-DVD) with the same .deb files in a pool/ layout
- `manifest.json` written last: an image without it is incomplete and gets rebuilt
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import shutil
import time
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from maillab_tui.config import repo_root
from maillab_tui.sandbox import preflight
from maillab_tui.sandbox.mirror import SUITE, Mirror, check_reachable, find_mirror
from maillab_tui.sandbox.topology import STATE_ROOT
from maillab_tui.sandbox.util import (
    SandboxError,
    locked,
    log,
    mounted_under,
    pid_alive,
    run,
    umount_all,
)

BUILD_VERSION = 5
"""Bump whenever the build steps change in a way that changes the image."""

IMAGE_PACKAGES = (
    "systemd", "systemd-sysv", "dbus", "iproute2", "iputils-ping", "netbase", "sudo",
    "logrotate", "python3", "vim", "nano", "less", "dnsutils",
    "procps", "locales", "ca-certificates", "tzdata", "whiptail", "apt-utils",
    "bash-completion",
)
"""Installed in every host: a small Debian server with systemd, but no mail software. As a
stock Debian 12 it has no rsyslog (the journal is the log; no /var/log/mail.log) and no
debconf-utils; python3 (in every Debian install) runs the one file of maillab-tui, and dnsutils
gives `dig`, which the chapter uses as the textbook's previous chapter left it."""

REPO_PACKAGES = (
    "postfix", "sasl2-bin", "libsasl2-modules", "s-nail", "dovecot-core", "dovecot-imapd",
    "dovecot-pop3d", "firewalld", "mutt", "thunderbird", "openssh-server",
)
"""What the chapter (and later issues) install inside the hosts, offered offline with all deps."""

ADMIN_USER = "admin"
ADMIN_PASSWORD = "maillab"
"""The learner's account on each host; it has sudo (with its password), as on the textbook's VMs."""

DISC_LABEL = "Debian-12-DVD"
"""Filesystem label of the disc image (ext4 labels hold at most 16 bytes)."""
DVD_MOUNT = f"/media/{ADMIN_USER}/{DISC_LABEL}"
"""Where each host mounts the disc at start-up, like a desktop's udisks (`mount | grep -i dvd`)."""

HOST_LANG = "ja_JP.UTF-8"
LOCALES = ("ja_JP.UTF-8 UTF-8", "en_US.UTF-8 UTF-8")
TIMEZONE = "Asia/Tokyo"
REPO_MOUNT = "/srv/lab-repo"
SRC_MOUNT = "/opt/maillab-tui/src"
"""Where the working tree is bound read-only in the hosts (the lab's development mode)."""


@dataclass(frozen=True)
class Image:
    """A built lab image in the cache."""

    key: str
    path: Path

    @property
    def rootfs(self) -> Path:
        """The Debian root filesystem, used read-only as the hosts' lower layer."""
        return self.path / "rootfs"

    @property
    def repo(self) -> Path:
        """The flat apt repository bound into each host at /srv/lab-repo."""
        return self.path / "repo"

    @property
    def disc(self) -> Path:
        """The ext4 disc image attached to each host as /dev/sr0."""
        return self.path / "disc.img"

    @property
    def manifest(self) -> Path:
        """Written last; its presence marks a complete image."""
        return self.path / "manifest.json"

    def complete(self) -> bool:
        """Whether the build finished."""
        return self.manifest.is_file() and self.rootfs.is_dir() and self.disc.is_file()


def python_dependencies() -> list[str]:
    """The project's runtime dependencies (pyproject.toml in a repo, package metadata otherwise)."""
    root = repo_root()
    if root is not None:
        data = tomllib.loads((root / "pyproject.toml").read_text())
        return sorted(str(d) for d in data["project"]["dependencies"])
    try:
        reqs = metadata.requires("maillab-tui") or []
    except metadata.PackageNotFoundError:
        return []
    return sorted(r for r in reqs if "extra ==" not in r)


def debian_arch() -> str:
    """This machine's Debian architecture (amd64, arm64)."""
    return run(["dpkg", "--print-architecture"]).stdout.strip()


def image_inputs(mirror: Mirror) -> dict[str, object]:
    """Everything that determines the image's content; its hash is the cache key."""
    return {
        "build_version": BUILD_VERSION,
        "suite": SUITE,
        "arch": debian_arch(),
        "mirror": mirror.archive,
        "security": mirror.security,
        "image_packages": sorted(IMAGE_PACKAGES),
        "repo_packages": sorted(REPO_PACKAGES),
        "admin": [ADMIN_USER, ADMIN_PASSWORD],
        "locales": [HOST_LANG, *LOCALES, TIMEZONE],
        "disc_label": DISC_LABEL,
    }


def image_key(inputs: dict[str, object]) -> str:
    """A short stable hash of the image inputs."""
    blob = json.dumps(inputs, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def images_dir(cache: Path) -> Path:
    """Where images are kept inside the cache directory."""
    return cache / "images"


def safe_rmtree(path: Path) -> None:
    """Remove a directory tree, refusing if anything is still mounted below it."""
    if not path.exists():
        return
    if mounted_under(path):
        umount_all(path)
    still = mounted_under(path)
    if still:
        raise SandboxError(f"refusing to delete {path}: still mounted: {', '.join(still)}")
    shutil.rmtree(path)


def find_image(cache: Path, mirror: Mirror | None = None) -> Image | None:
    """The complete cached image for the current inputs, or None."""
    mirror = mirror or find_mirror()
    key = image_key(image_inputs(mirror))
    image = Image(key, images_dir(cache) / key)
    return image if image.complete() else None


def ensure_image(cache: Path, in_use: set[str] | None = None) -> Image:
    """The cached image for the current inputs, built first if there is none."""
    mirror = find_mirror()
    inputs = image_inputs(mirror)
    key = image_key(inputs)
    image = Image(key, images_dir(cache) / key)
    if image.complete():
        return image
    with locked(cache / "build.lock"):
        if image.complete():
            return image
        preflight.check_build()
        preflight.require_space(cache, 2500, "building the lab image")
        check_reachable(mirror)
        Builder(cache, image, mirror, inputs).build()
    prune(cache, keep={key, *(in_use or set())})
    return image


def images_in_use() -> set[str]:
    """Keys of the images that running labs on this machine use."""
    keys = set()
    if STATE_ROOT.is_dir():
        for state in STATE_ROOT.glob("*/state.json"):
            with contextlib.suppress(OSError, ValueError):
                data = json.loads(state.read_text())
                pids = [data.get("dns_pid")]
                pids += [h.get("wrapper_pid") for h in data.get("hosts", {}).values()]
                if data.get("image") and any(pid_alive(p) for p in pids if p):
                    keys.add(str(data["image"]))
    return keys


def prune(cache: Path, keep: set[str]) -> None:
    """Delete cached images not in `keep` and not used by a lab (old keys, failed builds)."""
    root = images_dir(cache)
    if not root.is_dir():
        return
    keep = keep | images_in_use()
    for child in root.iterdir():
        if child.name not in keep and child.is_dir():
            log(f"removing old cached image {child}")
            safe_rmtree(child)


CHROOT_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "DEBIAN_FRONTEND": "noninteractive",
    "LANG": "C.UTF-8",
    "HOME": "/root",
}


class Builder:
    """Builds one image directory from nothing (debootstrap against the configured mirror)."""

    def __init__(self, cache: Path, image: Image, mirror: Mirror, inputs: dict[str, object]):
        self.cache = cache
        self.image = image
        self.mirror = mirror
        self.inputs = inputs
        self.tmp = image.path.with_name(image.key + ".build")
        self.rootfs = self.tmp / "rootfs"
        self.times: dict[str, float] = {}

    def _phase(self, name: str, started: float) -> None:
        self.times[name] = round(time.monotonic() - started, 1)
        log(f"  {name}: {self.times[name]} s")

    def build(self) -> None:
        """Build into a temporary directory and move it into place when complete."""
        started = time.monotonic()
        log(f"building the lab image {self.image.key} from {self.mirror.archive} "
            "(takes a few minutes; cached afterwards)")
        safe_rmtree(self.tmp)
        self.tmp.mkdir(parents=True)
        try:
            t = time.monotonic()
            self.debootstrap()
            self._phase("debootstrap", t)
            with self.chroot_mounts():
                t = time.monotonic()
                self.configure()
                self._phase("configure", t)
                t = time.monotonic()
                self.make_repo()
                self._phase("repository", t)
                t = time.monotonic()
                self.finish()
                self._phase("finish", t)
            t = time.monotonic()
            self.make_disc()
            self._phase("disc", t)
            self.times["total"] = round(time.monotonic() - started, 1)
            manifest = {"key": self.image.key, "inputs": self.inputs, "times": self.times,
                        "built": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
            (self.tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
            safe_rmtree(self.image.path)
            self.tmp.rename(self.image.path)
        except BaseException:
            umount_all(self.tmp)
            safe_rmtree(self.tmp)
            raise
        log(f"lab image built in {self.times['total']} s: {self.image.path}")

    # -- steps -------------------------------------------------------------------------

    def debootstrap(self) -> None:
        """A minimal bookworm root filesystem with the image packages."""
        debs = self.cache / "debootstrap-debs"
        debs.mkdir(parents=True, exist_ok=True)
        argv = ["debootstrap", "--variant=minbase", f"--include={','.join(IMAGE_PACKAGES)}",
                "--components=main", f"--cache-dir={debs}", SUITE, str(self.rootfs),
                self.mirror.archive]
        log(f"  {shlex.join(argv)}")
        proc = run(argv, check=False)
        if proc.returncode != 0:
            logfile = self.rootfs / "debootstrap" / "debootstrap.log"
            detail = logfile.read_text(errors="replace")[-2000:] if logfile.exists() else ""
            raise SandboxError(
                f"debootstrap failed (exit {proc.returncode}):\n"
                f"{(proc.stderr or proc.stdout)[-1500:]}\n{detail}".rstrip(),
                f"check that {self.mirror.archive} serves {SUITE} for this architecture",
            )

    class _Mounts:
        def __init__(self, builder: Builder) -> None:
            self.b = builder

        def __enter__(self) -> None:
            root = self.b.rootfs
            run(["mount", "-t", "proc", "proc", str(root / "proc")])
            run(["mount", "-t", "sysfs", "-o", "ro", "sysfs", str(root / "sys")])
            run(["mount", "--bind", "/dev", str(root / "dev")])
            run(["mount", "-t", "devpts", "-o", "newinstance,ptmxmode=0666", "devpts",
                 str(root / "dev" / "pts")])
            (root / "run" / "lock").mkdir(parents=True, exist_ok=True)
            run(["mount", "-t", "tmpfs", "tmpfs", str(root / "run")])

        def __exit__(self, *exc: object) -> None:
            umount_all(self.b.rootfs)

    def chroot_mounts(self) -> Builder._Mounts:
        """/proc, /sys, /dev, /run mounted into the root filesystem for the duration."""
        return Builder._Mounts(self)

    def chroot(self, script: str, what: str) -> None:
        """Run a shell script inside the root filesystem (with the machine's network)."""
        proc = run(["chroot", str(self.rootfs), "/bin/sh", "-euc", script],
                   check=False, env=dict(CHROOT_ENV), merge_stderr=True)
        (self.tmp / f"{what}.log").write_text(proc.stdout)
        if proc.returncode != 0:
            tail = "\n".join(proc.stdout.splitlines()[-25:])
            raise SandboxError(
                f"image build step '{what}' failed (exit {proc.returncode}):\n{tail}"
            )

    def configure(self) -> None:
        """Updates, locales, time zone, the admin user, the downloads."""
        root = self.rootfs
        shutil.copy2("/etc/resolv.conf", root / "etc" / "resolv.conf", follow_symlinks=True)
        (root / "usr/sbin/policy-rc.d").write_text("#!/bin/sh\nexit 101\n")
        (root / "usr/sbin/policy-rc.d").chmod(0o755)
        (root / "etc/apt/sources.list").write_text(self.mirror.sources_list())
        locales = "\n".join(LOCALES)
        repo_pkgs = " ".join(REPO_PACKAGES)
        script = f"""
apt-get update -q
apt-get -y -q -o Dpkg::Options::=--force-confold dist-upgrade
printf '%s\\n' {shlex.quote(locales)} > /etc/locale.gen
locale-gen
update-locale LANG={HOST_LANG}
ln -sf /usr/share/zoneinfo/{TIMEZONE} /etc/localtime
echo {TIMEZONE} > /etc/timezone
useradd -m -s /bin/bash -G cdrom,sudo,dip,plugdev {ADMIN_USER}
echo {shlex.quote(f"{ADMIN_USER}:{ADMIN_PASSWORD}")} | chpasswd
mkdir -p /var/cache/lab-dl/partial
apt-get install -y -q --download-only -o Dir::Cache::archives=/var/cache/lab-dl {repo_pkgs}
for p in {repo_pkgs}; do
  apt-get install -y -q --download-only -o Dir::Cache::archives=/var/cache/lab-dl "$p"
done
"""
        self.chroot(script, "configure")

    def make_repo(self) -> None:
        """Move the downloaded packages into a flat, indexed apt repository."""
        repo = self.tmp / "repo"
        repo.mkdir()
        dl = self.rootfs / "var/cache/lab-dl"
        for deb in sorted(dl.glob("*.deb")):
            shutil.move(str(deb), repo / deb.name)
            (repo / deb.name).chmod(0o644)
        shutil.rmtree(dl)
        if not any(repo.glob("postfix_*.deb")):
            raise SandboxError("the package download for the lab repository brought no postfix")
        index_repo(repo, ".")

    def finish(self) -> None:
        """Point apt at the lab repository, set up the CD drive, clean up."""
        root = self.rootfs
        for path in [root / "etc/apt/sources.list", *root.glob("etc/apt/sources.list.d/*")]:
            path.unlink()
        (root / "etc/apt/sources.list").write_text(
            "# The lab has no internet: this local repository holds everything the chapter\n"
            "# installs (the disc in the CD drive, /dev/sr0, holds the same packages).\n"
            f"deb [trusted=yes] file:{REPO_MOUNT} ./\n"
        )
        repo_mount = root / REPO_MOUNT.lstrip("/")
        repo_mount.mkdir(parents=True, exist_ok=True)
        run(["mount", "--bind", "-o", "ro", str(self.tmp / "repo"), str(repo_mount)])
        (root / "etc/fstab").write_text(
            "# /etc/fstab: static file system information.\n"
            "/dev/sr0        /media/cdrom0   auto    ro,user,noauto  0       0\n"
        )
        (root / "etc/tmpfiles.d").mkdir(parents=True, exist_ok=True)
        (root / "etc/tmpfiles.d/cdrom.conf").write_text("L /dev/cdrom - - - - sr0\n")
        script = f"""
apt-get clean
rm -rf /var/lib/apt/lists/*
apt-get update -q
apt-get clean
mkdir -p /media/cdrom0 /var/log/journal
ln -sfn cdrom0 /media/cdrom
rm -f /etc/hostname /usr/sbin/policy-rc.d /var/lib/dbus/machine-id
: > /etc/machine-id
rm -f /etc/resolv.conf
mkdir -p {DVD_MOUNT}
unit=$(systemd-escape --path --suffix=mount {DVD_MOUNT})
cat > "/etc/systemd/system/$unit" <<UNIT
# The disc in the CD drive is mounted at start-up, as a desktop's udisks would mount it.
[Unit]
Description=Debian 12 DVD in the CD drive (/dev/sr0)
ConditionPathExists=/dev/sr0

[Mount]
What=/dev/sr0
Where={DVD_MOUNT}
Type=ext4
Options=ro,nosuid,nodev

[Install]
WantedBy=multi-user.target
UNIT
mkdir -p /etc/systemd/system/multi-user.target.wants
ln -sf "../$unit" "/etc/systemd/system/multi-user.target.wants/$unit"
"""
        try:
            self.chroot(script, "finish")
        finally:
            umount_all(repo_mount)
        for leftover in ("var/cache/apt/pkgcache.bin", "var/cache/apt/srcpkgcache.bin"):
            (root / leftover).unlink(missing_ok=True)

    def make_disc(self) -> None:
        """An ext4 'DVD' (this kernel has no iso9660) with the repository in a pool/ layout."""
        disc = self.tmp / "disc"
        for deb in sorted((self.tmp / "repo").glob("*.deb")):
            fields = run(["dpkg-deb", "-f", str(deb), "Package", "Source"]).stdout
            info = dict(line.split(": ", 1) for line in fields.splitlines() if ": " in line)
            source = info.get("Source", info.get("Package", deb.name)).split()[0]
            prefix = source[:4] if source.startswith("lib") else source[:1]
            target = disc / "pool" / "main" / prefix / source
            target.mkdir(parents=True, exist_ok=True)
            os.link(deb, target / deb.name)
        (disc / ".disk").mkdir()
        (disc / ".disk" / "info").write_text(
            f'Debian GNU/Linux 12 "Bookworm" - Lab DVD {debian_arch()} ({time.strftime("%Y%m%d")})'
        )
        (disc / "README.txt").write_text(DISC_README)
        index_repo(disc, "pool", dists=True)
        for path in disc.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        size_kb = sum(p.stat().st_size for p in disc.rglob("*") if p.is_file()) // 1024
        size_kb = int(size_kb * 1.1) + 16 * 1024
        img = self.tmp / "disc.img"
        run(["mkfs.ext4", "-q", "-F", "-L", DISC_LABEL, "-m", "0", "-O", "^has_journal",
             "-E", "root_owner=0:0", "-d", str(disc), str(img), f"{size_kb}k"])
        run(["debugfs", "-w", "-R", "rmdir lost+found", str(img)], check=False)
        shutil.rmtree(disc)


def index_repo(root: Path, pool: str, dists: bool = False) -> None:
    """Write Packages/Packages.gz/Release for a flat repository, or a dists/ tree for a disc."""
    if dists:
        out = root / "dists" / SUITE / "main" / f"binary-{debian_arch()}"
        out.mkdir(parents=True)
    else:
        out = root
    proc = run(["apt-ftparchive", "packages", pool], cwd=str(root), check=False)
    if proc.returncode != 0:
        raise SandboxError(f"apt-ftparchive failed: {proc.stderr.strip()}")
    (out / "Packages").write_text(proc.stdout)
    run(["gzip", "-9kf", str(out / "Packages")])
    release_dir = root / "dists" / SUITE if dists else root
    argv = ["apt-ftparchive",
            "-o", "APT::FTPArchive::Release::Origin=Debian",
            "-o", "APT::FTPArchive::Release::Label=maillab",
            "-o", f"APT::FTPArchive::Release::Suite={SUITE}",
            "-o", f"APT::FTPArchive::Release::Codename={SUITE}",
            "release", "."]
    proc = run(argv, cwd=str(release_dir), check=False)
    if proc.returncode != 0:
        raise SandboxError(f"apt-ftparchive release failed: {proc.stderr.strip()}")
    (release_dir / "Release").write_text(proc.stdout)


DISC_README = """\
Debian GNU/Linux 12 "Bookworm" - lab DVD
========================================

This disc holds the packages of the mail-server chapter (postfix, sasl2-bin,
libsasl2-modules, s-nail, dovecot, firewalld, mutt, thunderbird, openssh-server) and
everything they depend on, as .deb files under pool/.

Mount it and install a package from it, for example:

    sudo mount -o ro /dev/sr0 /media/cdrom
    ls /media/cdrom/pool/main/s/s-nail/
    sudo apt-get install /media/cdrom/pool/main/s/s-nail/s-nail_*.deb
    sudo umount /media/cdrom
"""

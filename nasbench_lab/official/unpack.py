"""Unpacks an archive safely (no absolute paths, no '..', no links) into a folder, atomically."""

from __future__ import annotations

import os
import shutil
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from nasbench_lab.errors import DataFileError
from nasbench_lab.registry import Registry

#: archive kind (the manifest's "unpack" field) -> extracts archive into an empty folder
UNPACKERS: Registry[Callable[[Path, Path], None]] = Registry("archive kind")


def _check_member(archive: Path, name: str) -> None:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not parts or name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
        raise DataFileError(f"{archive}: refusing to unpack the member {name!r} (it would land outside the folder)")


@UNPACKERS.register("zip")
def _unzip(archive: Path, target: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                _check_member(archive, name)
            zf.extractall(target)
    except zipfile.BadZipFile as exc:
        raise DataFileError(f"{archive} is not a readable zip archive ({exc})") from None


@UNPACKERS.register("tar")
def _untar(archive: Path, target: Path) -> None:
    try:
        with tarfile.open(archive) as tf:
            members = tf.getmembers()
            for member in members:
                _check_member(archive, member.name)
                if not (member.isfile() or member.isdir()):
                    raise DataFileError(f"{archive}: refusing to unpack {member.name!r} (not a plain file or folder)")
            if hasattr(tarfile, "data_filter"):
                tf.extractall(target, members=members, filter="data")  # noqa: S202  (every member checked above)
            else:
                tf.extractall(target, members=members)  # noqa: S202  (every member checked above)
    except tarfile.TarError as exc:
        raise DataFileError(f"{archive} is not a readable tar archive ({exc})") from None


def unpack(archive: Path, kind: str, target: Path) -> Path:
    """Unpacks ``archive`` to the folder ``target``; an archive holding one top folder gives that folder.

    Extraction goes to a temporary folder beside ``target`` that is renamed at the end, so an
    interrupted unpack never leaves a half-filled ``target``.
    """
    extract = UNPACKERS.get(kind)
    tmp = target.with_name(f".{target.name}.unpacking-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        extract(archive, tmp)
        entries = list(tmp.iterdir())
        source = entries[0] if len(entries) == 1 and entries[0].is_dir() else tmp
        if target.exists():
            shutil.rmtree(target)
        os.replace(source, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target

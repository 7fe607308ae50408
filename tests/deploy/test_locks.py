"""The locks in requirements/ (what `make install`, the image and CI install with
--require-hashes) pin every package with hashes, agree with pyproject.toml, and keep the demo's
packages out of production."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
LOCKS = REPO / "requirements"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+)(?:\s*;\s*(?P<marker>.+?))?$")


def lock(name: str) -> dict[str, list[tuple[Version, Marker | None, list[str]]]]:
    """A lock's entries: each package with its pins (a universal lock may pin one package at
    two versions under different markers) and each pin's hashes."""
    text = (LOCKS / f"{name}.txt").read_text()
    entries: dict[str, list[tuple[Version, Marker | None, list[str]]]] = {}
    for entry in re.sub(r"\\\n\s*", " ", text).splitlines():
        entry = entry.split("  #")[0].strip()
        if not entry or entry.startswith("#"):
            continue
        requirement, *options = (part.strip() for part in entry.split(" --hash="))
        match = PIN.match(requirement.strip())
        assert match, f"{name}.txt: not an exact pin: {entry[:80]}"
        marker = Marker(match["marker"]) if match["marker"] else None
        entries.setdefault(canonicalize_name(match["name"]), []).append((Version(match["version"]), marker, options))
    return entries


def applies_here(marker: Marker | None) -> bool:
    return marker is None or marker.evaluate()


def declared(extra: str | None = None) -> list[Requirement]:
    specs = (
        PYPROJECT["project"]["dependencies"] if extra is None else PYPROJECT["project"]["optional-dependencies"][extra]
    )
    return [Requirement(spec) for spec in specs if not spec.startswith("warmline")]


@pytest.mark.parametrize("name", ["build", "runtime", "demo", "dev"])
def test_every_package_is_pinned_exactly_with_sha256_hashes(name: str) -> None:
    for package, pins in lock(name).items():
        for version, _, hashes in pins:
            assert hashes, f"{name}.txt: {package}=={version} has no hash"
            assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", value) for value in hashes)


@pytest.mark.parametrize(("name", "extras"), [("runtime", []), ("demo", ["demo"]), ("dev", ["demo", "dev"])])
def test_each_lock_satisfies_what_pyproject_declares(name: str, extras: list[str]) -> None:
    pins = lock(name)
    for requirement in declared() + [r for extra in extras for r in declared(extra)]:
        versions = [version for version, marker, _ in pins[canonicalize_name(requirement.name)] if applies_here(marker)]
        assert versions and all(requirement.specifier.contains(v, prereleases=True) for v in versions), (
            f"{name}.txt: {requirement}"
        )


def test_demo_only_packages_stay_out_of_production() -> None:
    runtime = lock("runtime")
    for package in ("fakeredis", "honcho", "lupa", "pytest", "playwright", "matplotlib"):
        assert package not in runtime
    assert {"fakeredis", "honcho", "lupa"} <= set(lock("demo"))


def test_shared_packages_have_one_version_everywhere() -> None:
    """The demo and the tests run what production runs: `make lock` compiles each lock
    constrained by the one before."""
    runtime, demo, dev = lock("runtime"), lock("demo"), lock("dev")
    for package, pins in runtime.items():
        assert [p[:2] for p in demo[package]] == [p[:2] for p in pins]
        assert [p[:2] for p in dev[package]] == [p[:2] for p in pins]
    for package, pins in demo.items():
        assert [p[:2] for p in dev[package]] == [p[:2] for p in pins]


def test_the_build_lock_meets_pyprojects_build_requirement() -> None:
    for spec in PYPROJECT["build-system"]["requires"]:
        requirement = Requirement(spec)
        [(version, _, _)] = lock("build")[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version)

"""The container files follow the production rules, and the locks pin exactly what pyproject asks for.

CI has no container engine, so these read the files: a slim final image run as a non-root user with no
build tools, dependencies installed from the hashed lock, and compose running the Procfile's commands.
The locks themselves are exercised by every run of the suite: ./dev installs requirements-dev.lock.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def pins(lock: str) -> dict[str, list[str]]:
    """name -> pinned versions (a universal lock may pin two versions under different markers)."""
    text = (ROOT / lock).read_text()
    entries = re.findall(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)", text, flags=re.M)
    out: dict[str, list[str]] = {}
    for name, version in entries:
        out.setdefault(canonicalize_name(name), []).append(version)
    return out


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_every_dependency_is_pinned_in_both_locks_within_its_range():
    runtime = [Requirement(r) for r in project()["dependencies"]]
    test_extra = [Requirement(r) for r in project()["optional-dependencies"]["test"]]
    for lock, wanted in (("requirements.lock", runtime), ("requirements-dev.lock", runtime + test_extra)):
        pinned = pins(lock)
        for req in wanted:
            versions = pinned.get(canonicalize_name(req.name))
            assert versions, f"{req.name} is missing from {lock}: run deploy/lock"
            assert all(req.specifier.contains(v, prereleases=True) for v in versions), (
                f"{lock} pins {req.name}=={versions} outside {req.specifier}: run deploy/lock"
            )


def test_the_runtime_lock_has_no_test_tools_and_every_pin_is_hashed():
    runtime = pins("requirements.lock")
    for req in project()["optional-dependencies"]["test"]:
        assert canonicalize_name(Requirement(req).name) not in runtime
    for lock in ("requirements.lock", "requirements-dev.lock"):
        blocks = re.split(r"\n(?=[A-Za-z0-9._-]+==)", (ROOT / lock).read_text())
        unhashed = [b.split()[0] for b in blocks if "==" in b.split()[0] and "--hash=sha256:" not in b]
        assert unhashed == [], f"{lock}: pins without hashes {unhashed}"


def stages() -> list[list[str]]:
    """The Dockerfile's instructions, split into build stages (continuation lines joined)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    out: list[list[str]] = []
    for line in lines:
        if line.upper().startswith("FROM "):
            out.append([])
        out[-1].append(line)
    return out


def test_the_final_image_is_slim_non_root_and_has_no_build_tools():
    final = stages()[-1]
    assert re.match(r"FROM python:3\.1[1-9][\w.-]*-slim", final[0]), final[0]
    users = [line.split()[1] for line in final if line.upper().startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), "the final stage must switch to a non-root user"
    after_user = final[max(i for i, line in enumerate(final) if line.upper().startswith("USER ")) :]
    assert not [line for line in after_user if line.upper().startswith("RUN ")], "nothing may run after USER"
    installs = " ".join(line for line in final if line.upper().startswith("RUN "))
    for tool in ("gcc", "build-essential", "g++", "make ", "pip install"):
        assert tool not in installs, f"the final stage installs {tool!r}"
    assert any(line.startswith("COPY --from=") for line in final), "the final stage copies the built venv"


def test_dependencies_are_installed_from_the_hashed_lock():
    runs = [line for stage in stages()[:-1] for line in stage if line.upper().startswith("RUN ")]
    assert any("--require-hashes" in r and "requirements.lock" in r for r in runs)
    assert any("--no-deps" in r for r in runs), "the project itself is installed without resolving again"


def test_compose_runs_the_procfiles_commands_against_its_postgresql():
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {name: services[name]["command"] for name in procfile} == procfile
    assert "postgres" in services and "healthcheck" in services["postgres"]
    for name in procfile:
        service = services[name]
        assert service["env_file"] == ".env"
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "@postgres:5432/" in service["environment"]["DATABASE_URL"]
    assert services["release"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in set(procfile) - {"release"}:
        assert services[name]["depends_on"] == {"release": {"condition": "service_completed_successfully"}}

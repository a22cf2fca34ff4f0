"""The service setup: the Dockerfile, the compose file and the systemd units run what they say.

No Docker daemon here, and `pip install .` of the whole dependency tree takes minutes and the
package registry, which tests may not use. So the test does what the image would, in a clean
virtualenv made for it:

1. every COPY source exists in the repo, and each RUN command's program is one the base image has;
2. the venv is empty but for the repo's ``src`` (what ``COPY src`` + ``pip install .`` put there) and
   the pinned dependencies (taken from this environment, checked against the pins in pyproject.toml),
   with no PYTHONPATH leaking in from the test run;
3. each CMD / command / ExecStart is run there as written, on a temp folder standing in for the volume:
   ``follow run`` (with ``--once``) starts and says it has no sources yet; ``serve`` answers HTTP on
   127.0.0.1; both use the same store file.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.request
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

from conftest import REPO

DOCKERFILE = REPO / "Dockerfile"
BASE_IMAGE_PROGRAMS = {"pip", "useradd", "mkdir", "chown"}  # python:3.11-slim has these


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def exec_form(value: str) -> list[str]:
    return json.loads(value) if value.startswith("[") else shlex.split(value)


def test_dockerfile_copies_what_exists_and_runs_known_programs():
    instructions = dockerfile_instructions()
    for keyword, rest in instructions:
        if keyword == "COPY":
            *sources, _ = rest.split()
            for source in sources:
                assert (REPO / source).exists(), f"COPY {source}: not in the repo"
        if keyword == "RUN":
            for command in re.split(r"&&|;", rest):
                program = shlex.split(command)[0]
                assert program in BASE_IMAGE_PROGRAMS, program
    assert ("RUN", "pip install .") in instructions
    assert ("VOLUME", '["/data"]') in instructions
    [cmd] = [exec_form(rest) for keyword, rest in instructions if keyword == "CMD"]
    assert cmd[:3] == ["storyline", "follow", "run"] and "/data/storyline.db" in cmd


def service_commands() -> list[list[str]]:
    """Every command the image, the compose file and the systemd units run."""
    commands = [exec_form(rest) for keyword, rest in dockerfile_instructions() if keyword == "CMD"]
    compose = (REPO / "deploy" / "compose.yaml").read_text(encoding="utf-8")
    commands += [json.loads(found) for found in re.findall(r"^\s*command:\s*(\[.*\])\s*$", compose, re.M)]
    for unit in sorted((REPO / "deploy" / "systemd").glob("*.service")):
        [exec_start] = re.findall(r"^ExecStart=(.*)$", unit.read_text(encoding="utf-8"), re.M)
        argv = shlex.split(exec_start)
        commands.append(["storyline", *argv[1:]])
    return commands


def test_every_service_command_is_storyline_follow_run_or_serve_on_one_store():
    commands = service_commands()
    assert {tuple(argv[1:3]) if argv[1] == "follow" else argv[1] for argv in commands} == {("follow", "run"), "serve"}
    stores = {argv[argv.index("--db") + 1] for argv in commands}
    assert stores == {"/data/storyline.db", "/var/lib/storyline/storyline.db"}


@pytest.fixture(scope="module")
def clean_venv(tmp_path_factory) -> Path:
    """A fresh virtualenv holding only the repo's src and the pinned dependencies."""
    pins = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    for pin in pins:
        name, _, wanted = pin.split(";")[0].partition("==")
        try:
            assert version(name.strip()) == wanted.strip(), f"{name} is not at its pin {wanted}"
        except PackageNotFoundError:
            pytest.fail(f"{name} is pinned in pyproject.toml but not installed")
    venv = tmp_path_factory.mktemp("image") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # The dependencies come after the repo's code: nothing installed elsewhere can shadow it.
    (site / "storyline-image.pth").write_text(f"{REPO / 'src'}\n{sysconfig.get_paths()['purelib']}\n",
                                              encoding="utf-8")
    return venv


def _run_in_image(venv: Path, argv: list[str], volume: Path, **kwargs) -> subprocess.Popen:
    argv = [str(volume / "storyline.db") if arg in ("/data/storyline.db", "/var/lib/storyline/storyline.db") else arg
            for arg in argv]
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    module, _, function = scripts["storyline"].partition(":")
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    # What the `storyline` console script that pip writes does: import the entry point and call it.
    launcher = f"import sys; sys.argv[0] = 'storyline'; from {module} import {function}; {function}()"
    return subprocess.Popen([str(venv / "bin" / "python"), "-c", launcher, *argv[1:]], cwd=volume, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_the_commands_run_in_a_clean_virtualenv(clean_venv, tmp_path):
    where = subprocess.run([str(clean_venv / "bin" / "python"), "-c", "import storyline; print(storyline.__file__)"],
                           capture_output=True, text=True, check=True,
                           env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert where.stdout.strip().startswith(str(REPO / "src"))
    for argv in service_commands():
        if argv[1] == "follow":
            process = _run_in_image(clean_venv, [*argv, "--once"], tmp_path)
            _, err = process.communicate(timeout=120)
            assert process.returncode == 2 and "no sources followed" in err, err
        else:
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            port = str(probe.getsockname()[1])
            probe.close()
            served = [port if previous == "--port" else ("127.0.0.1" if previous == "--host" else arg)
                      for previous, arg in zip([""] + argv, argv)]
            if "--port" not in served:
                served += ["--port", port]
            process = _run_in_image(clean_venv, served, tmp_path)
            try:
                status = None
                for _ in range(300):  # at most a minute for the server to come up
                    try:
                        with urllib.request.urlopen(f"http://127.0.0.1:{port}/stories.json", timeout=2) as answer:
                            status = answer.status
                        break
                    except OSError:
                        if process.poll() is not None:
                            break
                        time.sleep(0.2)
                assert status == 200, process.communicate(timeout=5)[1] if process.poll() is not None else "no answer"
            finally:
                process.terminate()
                process.wait(timeout=30)
    assert (tmp_path / "storyline.db").exists()

"""An MCP server started by a package runner must name exactly what it runs.

``npx -y some-server`` downloads and runs whatever the registry serves under that name at each
start: a new release, a hijacked account or a squatted name runs with the agent's credentials
(KUBECONFIG included). So a runner that fetches code (npx, npm exec, pnpm/yarn dlx, bunx, uvx,
uv tool run, pipx run, docker/podman run) must name an exact version (``pkg@1.2.3``,
``pkg==1.2.3``) or an image digest (``image@sha256:...``). Tags and ranges (``latest``, ``^1``,
``:1.2``) move, so they are not pins. Any other program (a path, ``python server.py``) runs what
is installed and is not judged here.
"""

from __future__ import annotations

import os
import re

_SEMVER = re.compile(r"^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_PEP440_EXACT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?===?\s*[0-9][0-9A-Za-z.+!-]*$")
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")

_JS_VALUE_FLAGS = {"-p", "--package", "-c", "--call", "--prefix", "--registry", "--cache", "--userconfig"}
_PY_VALUE_FLAGS = {"--from", "--with", "--spec", "--python", "-p", "--index-url", "--index", "--pip-args"}
_DOCKER_VALUE_FLAGS = set(
    "-e --env --env-file -v --volume --mount --name --network --net -p --publish -w --workdir -u --user "
    "--entrypoint -l --label --platform --pull -m --memory --cpus --add-host --cap-add --cap-drop "
    "--security-opt --tmpfs --device --ulimit --log-driver --log-opt --restart --hostname -h --dns "
    "--label-file --cidfile --ipc --pid --runtime --shm-size --stop-signal --stop-timeout --gpus".split()
)


def unpinned_reason(command: list[str]) -> str | None:
    """Why ``command`` runs code that is not pinned to one version, or None."""
    if not command:
        return None
    program = os.path.basename(command[0])
    args = command[1:]
    if program == "npx" or program == "bunx":
        return _js(program, args)
    if program in ("npm", "pnpm", "yarn", "bun") and args[:1] and args[0] in ("exec", "x", "dlx"):
        return _js(f"{program} {args[0]}", args[1:])
    if program == "uvx":
        return _python("uvx", args)
    if program == "uv" and args[:2] == ["tool", "run"]:
        return _python("uv tool run", args[2:])
    if program == "pipx" and args[:1] == ["run"]:
        return _python("pipx run", args[1:])
    if program in ("docker", "podman") and args[:1] == ["run"]:
        return _container(program, args[1:])
    return None


def _options(args: list[str], value_flags: set[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Flag values and positional arguments (up to ``--``, after which the command begins)."""
    values: dict[str, list[str]] = {}
    positional: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            break
        if arg.startswith("-"):
            name, eq, value = arg.partition("=")
            if eq:
                values.setdefault(name, []).append(value)
            elif name in value_flags and index + 1 < len(args):
                values.setdefault(name, []).append(args[index + 1])
                index += 1
        else:
            positional.append(arg)
        index += 1
    return values, positional


def _js(runner: str, args: list[str]) -> str | None:
    values, positional = _options(args, _JS_VALUE_FLAGS)
    specs = values.get("-p", []) + values.get("--package", [])
    if not specs:
        specs = positional[:1]
    if not specs:
        return f"{runner}: no package named"
    for spec in specs:
        name, at, version = spec[1:].rpartition("@") if spec.startswith("@") else spec.rpartition("@")
        if not at or not _SEMVER.match(version):
            package = spec if not at else ("@" if spec.startswith("@") else "") + name
            return f"{runner} runs {spec!r}, which is not pinned: write an exact version, e.g. {package}@1.2.3"
    return None


def _python(runner: str, args: list[str]) -> str | None:
    values, positional = _options(args, _PY_VALUE_FLAGS)
    specs = values.get("--from", []) + values.get("--spec", []) + values.get("--with", [])
    if not (values.get("--from") or values.get("--spec")):
        specs += positional[:1]
    if not specs:
        return f"{runner}: no package named"
    for spec in specs:
        name, at, version = spec.partition("@")
        if at and _SEMVER.match(version.strip()):
            continue
        if not _PEP440_EXACT.match(spec):
            return (
                f"{runner} runs {spec!r}, which is not pinned: write an exact version, e.g. {name.split('=')[0]}==1.2.3"
            )
    return None


def _container(program: str, args: list[str]) -> str | None:
    _, positional = _options(args, _DOCKER_VALUE_FLAGS)
    if not positional:
        return f"{program} run: no image named"
    image = positional[0]
    if not _DIGEST.search(image):
        return (
            f"{program} run uses image {image!r} by tag: pin it by digest, e.g. {image.split('@')[0]}@sha256:<digest>"
        )
    return None

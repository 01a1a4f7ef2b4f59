"""Run a GitHub Actions workflow here: its shell steps for real, its actions by local stand-ins.

The point is that a workflow which would fail on GitHub fails in the test suite first. Each
``run:`` step is executed in order with bash (``-eo pipefail``, as ``shell: bash`` does on
GitHub) in a copy of the repository, with the GitHub variables (``GITHUB_ENV``,
``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``, ``GITHUB_PATH``, ``GITHUB_WORKSPACE``, ...)
pointed at files in a temp folder and read back between steps as the runner does. ``uses:``
steps are replaced by what they mean locally: checkout by the copy, setup-python by the
virtual environment running the tests (on ``PATH``), upload actions by a check that the path
exists. Anything the runner does not understand (an unknown action, an expression it cannot
evaluate, another shell) is an error, so a workflow cannot silently outgrow its test.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import os
import platform
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

VENV_BIN = Path(sys.executable).parent
PAGES_BASE_URL = "https://example-org.github.io/postmortems"
ARTIFACT_URL = "https://github.com/example-org/postmortems/actions/runs/1/artifacts/1"
STEP_TIMEOUT_SECONDS = 300

# Variables of the test process that must not leak into a step: GitHub's own (when the suite
# itself runs in Actions) and those the workflows are expected to set themselves.
_NOT_INHERITED_PREFIXES = ("GITHUB_", "RUNNER_", "ACTIONS_")
_NOT_INHERITED = {"CI", "SOURCE_DATE_EPOCH", "NO_MKDOCS_2_WARNING", "SITE_URL", "PYTEST_ADDOPTS"}
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class UnsupportedWorkflow(Exception):
    """The workflow uses something this runner cannot reproduce; teach it before relying on it."""


@dataclasses.dataclass
class StepRun:
    """What one step did."""

    job: str
    name: str
    uses: str | None
    run: str | None
    returncode: int | None = None
    output: str = ""
    summary: str = ""
    skipped: str | None = None

    @property
    def failed(self) -> bool:
        """Whether the step ran and failed."""
        return self.returncode not in (None, 0)


@dataclasses.dataclass(frozen=True)
class Upload:
    """An artifact that an upload action would have sent."""

    action: str
    name: str
    path: Path


@dataclasses.dataclass
class WorkflowRun:
    """Every step of every job, in the order they ran or were skipped."""

    steps: list[StepRun] = dataclasses.field(default_factory=list)
    uploads: list[Upload] = dataclasses.field(default_factory=list)
    deployments: list[str] = dataclasses.field(default_factory=list)
    installs: list[str] = dataclasses.field(default_factory=list)
    job_env: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """Whether any step failed."""
        return any(step.failed for step in self.steps)

    @property
    def summary(self) -> str:
        """The job summaries, as GitHub joins the step summaries."""
        return "".join(step.summary for step in self.steps)

    @property
    def output(self) -> str:
        """Everything the steps printed."""
        return "".join(step.output for step in self.steps)

    def step(self, name: str) -> StepRun:
        """The step with this name (or ``uses`` value)."""
        for step in self.steps:
            if name in (step.name, step.uses):
                return step
        raise KeyError(f"no step named {name!r}; steps: {[s.name for s in self.steps]}")

    def describe(self) -> str:
        """A readable account of the run, for assertion messages."""
        lines = []
        for step in self.steps:
            state = step.skipped or f"exit {step.returncode}"
            lines.append(f"[{step.job}] {step.name}: {state}")
            if step.output.strip():
                lines.extend("    " + line for line in step.output.strip().splitlines()[-40:])
        return "\n".join(lines)


@dataclasses.dataclass
class _JobContext:
    workspace: Path
    run: WorkflowRun
    outputs: dict[str, dict[str, str]]


LocalAction = Callable[[Mapping[str, str], _JobContext], dict[str, str]]


def _checkout(inputs: Mapping[str, str], context: _JobContext) -> dict[str, str]:
    # The workspace already is a clean checkout of the commit under test.
    del inputs, context
    return {}


def _setup_python(inputs: Mapping[str, str], context: _JobContext) -> dict[str, str]:
    if not inputs.get("python-version"):
        raise AssertionError("actions/setup-python: name the python-version")
    if inputs.get("cache") != "pip":
        raise AssertionError("actions/setup-python: cache pip downloads with 'cache: pip'")
    dependency_file = inputs.get("cache-dependency-path", "")
    # setup-python fails when the file keying its pip cache is missing from the checkout.
    if not dependency_file or not (context.workspace / dependency_file).is_file():
        raise AssertionError(
            f"actions/setup-python: cache-dependency-path {dependency_file!r} is not a file "
            "of the repository"
        )
    return {"python-version": platform.python_version(), "cache-hit": "false"}


def _cache(inputs: Mapping[str, str], context: _JobContext) -> dict[str, str]:
    del context
    if not inputs.get("path") or not inputs.get("key"):
        raise AssertionError("actions/cache: both path and key are required")
    return {"cache-hit": "false"}


def _configure_pages(inputs: Mapping[str, str], context: _JobContext) -> dict[str, str]:
    del inputs, context
    return {
        "base_url": PAGES_BASE_URL,
        "base_path": "/postmortems",
        "origin": "https://example-org.github.io",
        "host": "example-org.github.io",
    }


def _upload_artifact(inputs: Mapping[str, str], context: _JobContext) -> dict[str, str]:
    path = context.workspace / inputs.get("path", "")
    if not inputs.get("path") or not path.exists():
        if inputs.get("if-no-files-found") == "ignore":
            return {}
        raise AssertionError(f"actions/upload-artifact: nothing at {inputs.get('path')!r}")
    name = inputs.get("name", "artifact")
    context.run.uploads.append(Upload("actions/upload-artifact", name, path))
    return {"artifact-id": "1", "artifact-url": ARTIFACT_URL, "artifact-digest": "0" * 64}


def _upload_pages_artifact(inputs: Mapping[str, str], context: _JobContext) -> dict[str, str]:
    path = context.workspace / inputs.get("path", "_site/")
    if not (path / "index.html").is_file():
        raise AssertionError(f"actions/upload-pages-artifact: no index.html in {path}")
    name = inputs.get("name", "github-pages")
    context.run.uploads.append(Upload("actions/upload-pages-artifact", name, path))
    return {"artifact_id": "1"}


def _deploy_pages(inputs: Mapping[str, str], context: _JobContext) -> dict[str, str]:
    name = inputs.get("artifact_name", "github-pages")
    uploads = [u for u in context.run.uploads if u.action == "actions/upload-pages-artifact"]
    if not any(upload.name == name for upload in uploads):
        raise AssertionError(f"actions/deploy-pages: no Pages artifact named {name!r} uploaded")
    context.run.deployments.append(name)
    return {"page_url": PAGES_BASE_URL + "/"}


LOCAL_ACTIONS: dict[str, LocalAction] = {
    "actions/checkout": _checkout,
    "actions/setup-python": _setup_python,
    "actions/cache": _cache,
    "actions/configure-pages": _configure_pages,
    "actions/upload-artifact": _upload_artifact,
    "actions/upload-pages-artifact": _upload_pages_artifact,
    "actions/deploy-pages": _deploy_pages,
}


def load_workflow(path: Path) -> dict[str, Any]:
    """A workflow file as data; YAML 1.1 reads the ``on`` key as True, so it is renamed back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:
        data["on"] = data.pop(True)
    return dict(data)


def action_name(uses: str) -> str:
    """``actions/checkout@v7`` -> ``actions/checkout``."""
    return uses.split("@", 1)[0]


def run_steps(workflow: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every ``run:`` step of every job, with its job id."""
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            if "run" in step:
                yield job_id, step


class WorkflowRunner:
    """Runs the jobs of a workflow in a workspace, as GitHub would on ubuntu-latest.

    Args:
        workspace: the clean copy of the repository (a git work tree).
        scratch: a folder for the runner's files (env, output and summary files).
        installs: the exact ``run:`` lines that install packages; they are recorded and
            skipped, because the tests run the current virtual environment's tools instead.
            Any other line mentioning ``pip install`` is an error.
        event: the triggering event's name (``github.event_name``).
        extra_path: folders put on ``PATH`` before the virtual environment's (stubs).
    """

    def __init__(
        self,
        workspace: Path,
        scratch: Path,
        *,
        installs: frozenset[str] = frozenset(),
        event: str = "pull_request",
        extra_path: tuple[Path, ...] = (),
    ) -> None:
        self.workspace = workspace
        self.scratch = scratch
        self.installs = installs
        self.event = event
        self.extra_path = extra_path
        self._counter = itertools.count(1)

    def run(self, workflow_file: Path) -> WorkflowRun:
        """Run every job (and every matrix entry), in the order ``needs`` gives."""
        workflow = load_workflow(workflow_file)
        if workflow.get("defaults", {}).get("run", {}) not in ({}, {"shell": "bash"}):
            raise UnsupportedWorkflow("of run defaults, only 'shell: bash' is supported")
        result = WorkflowRun()
        finished: dict[str, bool] = {}
        for job_id in _job_order(workflow["jobs"]):
            job = workflow["jobs"][job_id]
            needs = job.get("needs", [])
            needs = [needs] if isinstance(needs, str) else list(needs)
            if not all(finished.get(need) for need in needs):
                result.steps.append(StepRun(job_id, "(job)", None, None, skipped="needs failed"))
                finished[job_id] = False
                continue
            ok = True
            for matrix in _matrix_entries(job):
                ok = self._run_job(workflow, job_id, job, matrix, result) and ok
            finished[job_id] = ok
        return result

    def _run_job(
        self,
        workflow: Mapping[str, Any],
        job_id: str,
        job: Mapping[str, Any],
        matrix: Mapping[str, str],
        result: WorkflowRun,
    ) -> bool:
        if "services" in job:
            raise UnsupportedWorkflow(f"{job_id}: service containers are not supported")
        context = _JobContext(self.workspace, result, {})
        github = {
            "event_name": self.event,
            "ref": "refs/heads/main",
            "workspace": str(self.workspace),
            "repository": "example-org/postmortems",
        }
        env = _inherited_env()
        tools = [str(path) for path in self.extra_path] + [str(VENV_BIN)]
        env["PATH"] = os.pathsep.join([*tools, env.get("PATH", "")])
        home = self._folder("home")
        env.update(
            HOME=str(home),  # a fresh runner's home: steps may write ~/.gitconfig
            CI="true",
            GITHUB_ACTIONS="true",
            GITHUB_WORKSPACE=str(self.workspace),
            GITHUB_EVENT_NAME=self.event,
            GITHUB_REF=github["ref"],
            GITHUB_REPOSITORY=github["repository"],
            GITHUB_SHA=_head(self.workspace),
            RUNNER_OS="Linux",
            RUNNER_TEMP=str(self._folder("runner-temp")),
        )
        evaluate = _Evaluator(github, matrix, context.outputs, self.workspace)
        env.update(evaluate.mapping(workflow.get("env", {})))
        env.update(evaluate.mapping(job.get("env", {})))
        failed = False
        for index, step in enumerate(job.get("steps", []), 1):
            if "${{" in str(step.get("run", "")):
                # GitHub pastes the value into the script, where it could run as code.
                raise UnsupportedWorkflow(
                    f"{job_id}: pass values to run scripts through env:, not ${{{{ }}}}"
                )
            name = str(step.get("name") or step.get("uses") or step.get("run", "")).strip()
            record = StepRun(job_id, evaluate.text(name), step.get("uses"), step.get("run"))
            result.steps.append(record)
            if not evaluate.condition(step.get("if"), failed):
                record.skipped = "condition false"
                continue
            step_env = dict(env)
            step_env.update(evaluate.mapping(step.get("env", {})))
            if "uses" in step:
                outputs = self._run_action(step, evaluate, context, record)
            else:
                outputs, new_env = self._run_shell(
                    step, step_env, record, result, f"{job_id}-{index}"
                )
                env.update(new_env)
            if "id" in step:
                context.outputs[step["id"]] = outputs
            failed = failed or record.failed
        result.job_env[job_id] = env
        return not failed

    def _run_action(
        self,
        step: Mapping[str, Any],
        evaluate: _Evaluator,
        context: _JobContext,
        record: StepRun,
    ) -> dict[str, str]:
        action = action_name(step["uses"])
        if action not in LOCAL_ACTIONS:
            raise UnsupportedWorkflow(f"no local stand-in for {step['uses']}: add one")
        inputs = {key: evaluate.text(str(value)) for key, value in step.get("with", {}).items()}
        try:
            outputs = LOCAL_ACTIONS[action](inputs, context)
        except AssertionError as error:
            record.returncode, record.output = 1, f"::error::{error}\n"
            return {}
        record.returncode = 0
        return dict(outputs)

    def _run_shell(
        self,
        step: Mapping[str, Any],
        env: dict[str, str],
        record: StepRun,
        result: WorkflowRun,
        key: str,
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Run a script; returns its outputs and the variables it added to GITHUB_ENV."""
        script = str(step["run"])
        if step.get("shell", "bash") != "bash":
            raise UnsupportedWorkflow(f"{record.name}: only 'shell: bash' is supported")
        if script.strip() in self.installs:
            record.skipped = "install line (the test's virtual environment stands in)"
            result.installs.append(script.strip())
            return {}, {}
        if "pip install" in script:
            raise UnsupportedWorkflow(f"{record.name}: undeclared install line {script!r}")
        folder = self._folder(key)
        files = {
            "GITHUB_ENV": folder / "env",
            "GITHUB_OUTPUT": folder / "output",
            "GITHUB_STEP_SUMMARY": folder / "summary",
            "GITHUB_PATH": folder / "path",
        }
        for variable, path in files.items():
            path.touch()
            env[variable] = str(path)
        script_file = folder / "script.sh"
        script_file.write_text(script, encoding="utf-8")
        cwd = self.workspace / step.get("working-directory", ".")
        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=STEP_TIMEOUT_SECONDS,
            check=False,
        )
        record.returncode = completed.returncode
        record.output = completed.stdout
        record.summary = files["GITHUB_STEP_SUMMARY"].read_text(encoding="utf-8")
        new_env = _parse_command_file(files["GITHUB_ENV"].read_text(encoding="utf-8"))
        added_path = [
            line for line in files["GITHUB_PATH"].read_text(encoding="utf-8").splitlines() if line
        ]
        if added_path:
            new_env["PATH"] = os.pathsep.join([*reversed(added_path), env["PATH"]])
        outputs = _parse_command_file(files["GITHUB_OUTPUT"].read_text(encoding="utf-8"))
        return outputs, new_env

    def _folder(self, key: str) -> Path:
        folder = self.scratch / f"{next(self._counter):03d}-{key}"
        folder.mkdir(parents=True)
        return folder


def run_workflow(
    workflow_file: Path,
    workspace: Path,
    scratch: Path,
    *,
    installs: frozenset[str] = frozenset(),
    event: str = "pull_request",
    extra_path: tuple[Path, ...] = (),
) -> WorkflowRun:
    """Run a workflow with :class:`WorkflowRunner`."""
    runner = WorkflowRunner(
        workspace, scratch, installs=installs, event=event, extra_path=extra_path
    )
    return runner.run(workflow_file)


class _Evaluator:
    """The few expressions the workflows use; anything else is an error."""

    def __init__(
        self,
        github: Mapping[str, str],
        matrix: Mapping[str, str],
        outputs: Mapping[str, Mapping[str, str]],
        workspace: Path,
    ) -> None:
        self.github = github
        self.matrix = matrix
        self.outputs = outputs
        self.workspace = workspace

    def value(self, expression: str) -> str:
        if match := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression):
            return self.outputs.get(match[1], {}).get(match[2], "")
        if (match := re.fullmatch(r"matrix\.([\w-]+)", expression)) and match[1] in self.matrix:
            return str(self.matrix[match[1]])
        if (match := re.fullmatch(r"github\.([\w-]+)", expression)) and match[1] in self.github:
            return self.github[match[1]]
        if match := re.fullmatch(r"hashFiles\('([^']+)'\)", expression):
            return self._hash_files(match[1])
        raise UnsupportedWorkflow(f"cannot evaluate ${{{{ {expression} }}}}")

    def text(self, text: str) -> str:
        return _EXPRESSION.sub(lambda match: self.value(match[1]), text)

    def mapping(self, values: Mapping[str, Any]) -> dict[str, str]:
        return {str(key): self.text(str(value)) for key, value in values.items()}

    def condition(self, condition: str | None, failed: bool) -> bool:
        if condition is None:
            return not failed
        bare = _EXPRESSION.sub(lambda match: match[1], str(condition)).strip()
        known = {"always()": True, "success()": not failed, "failure()": failed}
        if bare not in known:
            raise UnsupportedWorkflow(f"cannot evaluate the condition {condition!r}")
        return known[bare]

    def _hash_files(self, pattern: str) -> str:
        files = sorted(path for path in self.workspace.glob(pattern) if path.is_file())
        if not files:
            raise AssertionError(f"hashFiles('{pattern}') matches no file: the key is constant")
        digest = hashlib.sha256()
        for path in files:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()


def _job_order(jobs: Mapping[str, Any]) -> list[str]:
    ordered: list[str] = []
    pending = dict(jobs)
    while pending:
        ready = [
            job_id
            for job_id, job in pending.items()
            if all(need in ordered for need in _needs(job))
        ]
        if not ready:
            raise UnsupportedWorkflow(f"the needs of {sorted(pending)} never resolve")
        for job_id in ready:
            ordered.append(job_id)
            del pending[job_id]
    return ordered


def _needs(job: Mapping[str, Any]) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def _matrix_entries(job: Mapping[str, Any]) -> list[dict[str, str]]:
    matrix = job.get("strategy", {}).get("matrix")
    if not matrix:
        return [{}]
    if set(matrix) & {"include", "exclude"}:
        raise UnsupportedWorkflow("matrix include/exclude are not supported")
    keys = sorted(matrix)
    return [
        dict(zip(keys, (str(value) for value in values), strict=True))
        for values in itertools.product(*(matrix[key] for key in keys))
    ]


def _inherited_env() -> dict[str, str]:
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_NOT_INHERITED_PREFIXES) and key not in _NOT_INHERITED
    }


def _parse_command_file(text: str) -> dict[str, str]:
    """``NAME=value`` lines and ``NAME<<DELIMITER`` blocks, as GitHub reads GITHUB_ENV/OUTPUT."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block: list[str] = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            else:
                raise AssertionError(f"{name}: the delimiter {delimiter!r} never came")
            values[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        else:
            raise AssertionError(f"not a NAME=value line: {line!r}")
    return values


def _head(workspace: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"],
        cwd=workspace,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def commit_all(workspace: Path, message: str, date: str) -> None:
    """Make ``workspace`` a git repository (if needed) and commit everything at ``date``."""
    env = {**os.environ, **GIT_IDENTITY, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}

    def git(*arguments: str) -> None:
        subprocess.run(["git", *arguments], cwd=workspace, env=env, check=True, capture_output=True)

    if not (workspace / ".git").exists():
        git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "--no-verify", "--allow-empty", "-m", message)

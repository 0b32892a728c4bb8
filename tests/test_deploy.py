"""The files of ``deploy/``: the systemd unit runs the crawl command itself (not ``make
crawl``: its own exit status reaches systemd, nothing is installed at run time), counts
as success what the exit-status table says, is hardened, and passes ``systemd-analyze``;
the cron line runs the same command; the environment file names real settings. One
end-to-end test runs the unit's command as systemd would expand it."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path, PurePosixPath

import pytest

from atlas_crawler import outcome
from atlas_crawler import settings as project_settings
from atlas_crawler.files import LOG, REPORT
from atlas_crawler.replica.localrun import PROJECT_ROOT, free_port
from atlas_crawler.replica.templates import ATLAS_PATH

DEPLOY = PROJECT_ROOT / "deploy"
SERVICE = DEPLOY / "atlas-crawl.service"
TIMER = DEPLOY / "atlas-crawl.timer"
ENV_FILE = DEPLOY / "atlas-crawl.env"
CRON = DEPLOY / "atlas-crawl.cron"
INSTALLED = "/opt/atlas-crawler"  # where the unit and the cron line expect the project
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def unit(path: Path) -> dict[str, list[str]]:
    """``Key=value`` lines of a unit file, every value of a repeated key kept in order."""
    found: dict[str, list[str]] = {}
    for line in path.read_text("utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def one(values: dict[str, list[str]], key: str) -> str:
    assert len(values.get(key, [])) == 1, f"{key}= should be set once"
    return values[key][0]


def environment_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines as systemd's EnvironmentFile= reads them (comments skipped)."""
    pairs = (line.partition("=") for line in path.read_text("utf-8").splitlines())
    return {key.strip(): value.strip() for key, sep, value in pairs if sep and not key.lstrip().startswith("#")}


def expand(command: str, env: dict[str, str]) -> list[str]:
    """An Exec line as systemd runs it: ``$VAR`` alone in a word becomes the value split
    at whitespace (no word when empty or unset), ``${VAR}`` is replaced in place."""
    argv: list[str] = []
    for word in shlex.split(command):
        alone = re.fullmatch(r"\$([A-Za-z_]\w*)", word)
        if alone:
            argv += env.get(alone.group(1), "").split()
        else:
            argv.append(re.sub(r"\$\{([A-Za-z_]\w*)\}", lambda m: env.get(m.group(1), ""), word))
    return argv


def crawl_options(argv: list[str]) -> dict[str, str]:
    """The ``-s NAME=VALUE`` settings of a ``scrapy crawl`` command line."""
    return dict(argv[i + 1].split("=", 1) for i, word in enumerate(argv) if word == "-s")


def writable(values: dict[str, list[str]]) -> list[PurePosixPath]:
    """What the unit may write besides its private /tmp: ReadWritePaths= and the StateDirectory=."""
    paths = [PurePosixPath(p.lstrip("-")) for v in values.get("ReadWritePaths", []) for p in v.split()]
    paths += [PurePosixPath("/var/lib") / d for v in values.get("StateDirectory", []) for d in v.split()]
    return paths


def test_the_unit_runs_the_crawl_command_itself() -> None:
    service = unit(SERVICE)
    argv = shlex.split(one(service, "ExecStart"))
    assert argv[0] == f"{INSTALLED}/.venv/bin/scrapy"
    assert argv[1:4] == ["crawl", "atlas", "--nolog"]
    assert one(service, "WorkingDirectory") == INSTALLED  # where scrapy.cfg names the project
    runs = PurePosixPath(crawl_options(argv)["ATLAS_RUNS_DIR"])
    assert runs.is_absolute()
    assert any(runs.is_relative_to(place) for place in writable(service)), f"{runs} is not writable"
    # nothing run before or around the crawl installs anything, and make is not in the way
    for key in ("ExecStartPre", "ExecStart", "ExecStartPost", "ExecStopPost"):
        for line in service.get(key, []):
            words = set(re.findall(r"[\w.-]+", line))
            assert not words & {"make", "pip", "pip3", "apt-get", "apt", "install"}, line
    assert one(service, "Type") == "oneshot"  # the unit is active for the whole crawl: the timer never starts a second
    assert one(service, "EnvironmentFile").startswith("/etc/")


def test_success_exit_status_is_the_tables() -> None:
    """Success for systemd: 0 (complete, known gaps included) and 6 (stopped on purpose,
    ``systemctl stop`` or a shutdown); every other code of the table fails the unit, so
    that an OnFailure= alert fires, and the unit's comment says what each one is."""
    service = unit(SERVICE)
    success = {int(code) for code in one(service, "SuccessExitStatus").split()}
    assert success == {outcome.EXIT_INTERRUPTED}
    assert outcome.EXIT_COMPLETE == 0  # systemd's own success
    codes = {value for name, value in vars(outcome).items() if name.startswith("EXIT_") and isinstance(value, int)}
    failing = codes - success - {outcome.EXIT_COMPLETE}
    assert outcome.EXIT_INCOMPLETE in failing
    text = SERVICE.read_text("utf-8")
    comment = text[: text.index("SuccessExitStatus=")].rsplit("ExecStart=", 1)[1]
    for code in sorted(failing):
        assert re.search(rf"\b{code} {outcome.describe(code).split()[0][:6]}", comment), (code, comment)


def test_the_unit_is_hardened() -> None:
    service = unit(SERVICE)
    expected = {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectControlGroups": "yes",
        "RestrictSUIDSGID": "yes",
        "LockPersonality": "yes",
        "SystemCallArchitectures": "native",
    }
    assert {key: one(service, key) for key in expected} == expected
    assert one(service, "ProtectHome") in ("yes", "read-only", "tmpfs")
    assert set(one(service, "RestrictAddressFamilies").split()) == {"AF_INET", "AF_INET6", "AF_UNIX"}
    assert one(service, "CapabilityBoundingSet") == ""  # no capability at all
    assert one(service, "User") not in ("", "root")
    # the runs folder is the one writable place (and a StateDirectory is made for User)
    assert [str(p) for p in writable(service)] == ["/var/lib/atlas-crawler"]
    assert re.fullmatch(r"\d+(d|h|min)", one(service, "TimeoutStartSec"))  # a crawl that hangs ends
    assert one(service, "KillSignal") == "SIGINT"  # Scrapy's clean stop: the report is written, exit 6


def installed_here(tmp_path: Path) -> list[Path]:
    """The unit and the timer as installed, with this checkout as /opt/atlas-crawler (so
    that systemd-analyze finds the venv's scrapy) and the example environment file."""
    env = tmp_path / "atlas-crawl.env"
    shutil.copy(ENV_FILE, env)
    text = SERVICE.read_text("utf-8").replace(INSTALLED, str(PROJECT_ROOT))
    text = text.replace(one(unit(SERVICE), "EnvironmentFile"), str(env))
    (tmp_path / SERVICE.name).write_text(text, "utf-8")
    shutil.copy(TIMER, tmp_path / TIMER.name)
    return [tmp_path / SERVICE.name, tmp_path / TIMER.name]


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_finds_nothing(tmp_path: Path) -> None:
    assert SYSTEMD_ANALYZE is not None
    files = installed_here(tmp_path)
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", *map(str, files)], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_security_rates_the_unit_ok(tmp_path: Path) -> None:
    """Exposure at most 2.5 of 10 (systemd's "OK"); the unit as it was (make crawl, no
    hardening) rated 9.2 "UNSAFE"."""
    assert SYSTEMD_ANALYZE is not None
    service = installed_here(tmp_path)[0]
    command = [SYSTEMD_ANALYZE, "security", "--offline=true", "--threshold=25", str(service)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr


def test_cron_runs_the_same_crawl_command() -> None:
    lines = [line for line in CRON.read_text("utf-8").splitlines() if line.strip() and not line.startswith("#")]
    assert len(lines) == 1
    fields = lines[0].split(None, 5)
    assert fields[:5] == ["15", "3", "*", "*", "1"]  # Mondays at 03:15, as the timer
    assert "%" not in fields[5]  # cron would turn it into a newline
    cd, crawl = (shlex.split(part) for part in fields[5].split("&&"))
    assert cd == ["cd", INSTALLED]
    while "=" in crawl[0]:  # the ATLAS_* environment of the command
        name = crawl.pop(0).split("=", 1)[0]
        assert hasattr(project_settings, name), name
    service_argv = shlex.split(one(unit(SERVICE), "ExecStart"))
    assert [f"{INSTALLED}/{crawl[0]}", *crawl[1:4]] == service_argv[:4]
    assert "make" not in crawl
    assert crawl_options(crawl)["ATLAS_RUNS_DIR"] == "output/runs"


def test_the_environment_file_names_real_settings() -> None:
    """Every ATLAS_* name in the example file, examples included, is a setting (a typo would
    be ignored by the crawl); ATLAS_CONTACT is set; CRAWL_ARGS is the only other name."""
    text = ENV_FILE.read_text("utf-8")
    names = set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))
    assert {n for n in names if n.startswith("ATLAS_")} <= {n for n in dir(project_settings) if n.isupper()}
    assert names - {n for n in names if n.startswith("ATLAS_")} == {"CRAWL_ARGS"}
    assert environment_file(ENV_FILE)["ATLAS_CONTACT"]
    assert "CRAWL_ARGS" in one(unit(SERVICE), "ExecStart")


@pytest.mark.e2e
def test_the_units_command_gives_the_crawls_own_exit_status(tmp_path: Path) -> None:
    """The unit's command, expanded as systemd does with an environment file that points
    ATLAS_BASE_URL at a closed port: the run folder is in the state directory, the crawl
    read the environment file, and the exit status is the crawl's own 3 (site
    unreachable), which ``make crawl`` turned into make's 2."""
    state = tmp_path / "var-lib-atlas-crawler"
    closed = f"http://127.0.0.1:{free_port()}"
    mirror = closed + ATLAS_PATH
    env_file = tmp_path / "atlas-crawl.env"
    env_file.write_text(f"ATLAS_CONTACT=ops@example.org\nATLAS_BASE_URL={mirror}\nCRAWL_ARGS=-s LOG_LEVEL=INFO\n")
    service = unit(SERVICE)
    systemd_env = environment_file(env_file)
    line = one(service, "ExecStart").replace(INSTALLED, str(PROJECT_ROOT)).replace("/var/lib/atlas-crawler", str(state))
    argv = expand(line, systemd_env)
    assert argv[-2:] == ["-s", "LOG_LEVEL=INFO"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATLAS_")} | systemd_env
    # Should the environment file not be read, the live atlas is not asked: a closed proxy.
    env |= {"http_proxy": closed, "https_proxy": closed, "no_proxy": ""}
    result = subprocess.run(argv, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == outcome.EXIT_SITE_UNREACHABLE, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("run outcome: site unreachable (exit 3)")
    (run,) = [p for p in (state / "runs").iterdir() if p.is_dir() and not p.is_symlink()]
    assert (run / REPORT).is_file()
    assert mirror in (run / LOG).read_text("utf-8")

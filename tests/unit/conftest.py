"""Shared pytest fixtures: a real API emulator process (HTTP, second origin and HTTPS).

ansible-test units runs every test in a forked child (its ansible_forked plugin), so a
session fixture would start one emulator per test and never stop it. The emulator is
therefore started by a collection hook in the un-forked pytest process, stopped in
pytest_sessionfinish, and watches that process (--parent-pid) in case pytest is killed.
"""

import os
import tempfile
import time

import pytest

from ansible_collections.koreai.ai_for_process.tests.emulator.control import Emulator

FIXTURES = ("emulator", "emulator_process")
_RUNNING = {}
# pytest keeps the tmp_path directories of its last runs below its temp root: below the collection's tests/output
# (git-ignored, removed by make test), not in /tmp. pytest reads the variable when a test first asks for tmp_path.
_TEMP_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "output", ".tmp", "pytest")
os.makedirs(_TEMP_ROOT, exist_ok=True)
os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", os.path.normpath(_TEMP_ROOT))
# Hypothesis keeps its caches below the same root, not in the directory the tests run from.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.normpath(os.path.join(_TEMP_ROOT, "..", "hypothesis")))


def start_emulator():
    """Start the shared emulator (fast jobs, certificates in a private temp dir)."""
    cert_dir = tempfile.mkdtemp(prefix="kore-emulator-certs-")
    started = time.monotonic()
    emu = Emulator.start("--job-duration", "0.05", "--cert-dir", cert_dir, "--seed", "1", "--parent-pid", str(os.getpid()),
                         "--remove-on-exit", cert_dir)
    emu.startup_seconds = time.monotonic() - started
    return emu


def pytest_collection_modifyitems(items):
    """Start the emulator before any (forked) test runs, if a collected test needs it."""
    if "emulator" not in _RUNNING and any(set(FIXTURES) & set(getattr(item, "fixturenames", ())) for item in items):
        _RUNNING["emulator"] = start_emulator()


def pytest_sessionfinish():
    """Stop the emulator (only in the process that started it, never in a forked child)."""
    emu = _RUNNING.get("emulator")
    if emu is not None and emu.owner_pid == os.getpid():
        _RUNNING.pop("emulator").stop()


@pytest.fixture(scope="session")
def emulator_process():
    """The running emulator, shared by all tests of this pytest process."""
    if "emulator" not in _RUNNING:  # collected without the hook (e.g. a plugin filtered items)
        _RUNNING["emulator"] = start_emulator()
    return _RUNNING["emulator"]


@pytest.fixture
def emulator(emulator_process):  # pylint: disable=redefined-outer-name
    """The shared emulator, reset to its start-up configuration before each test."""
    emulator_process.reset()
    return emulator_process

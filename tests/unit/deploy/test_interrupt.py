"""Pure unit (real signals, one child process): Ctrl-C once asks the run to stop, twice exits at once.

The run's steps read the flag the first SIGINT sets (the fault matrix plays that through whole
runs); these tests prove the signal reaches the flag, and that a second one ends the process with
130 even when the run is stuck in a call that would not return.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from stackyard.deploy.interrupt import Interrupt, Interrupted, first_stops_second_exits
from stackyard.errors import EXIT_INTERRUPTED
from tests.helpers import ROOT


def test_the_first_sigint_sets_the_flag_and_announces_it_and_the_old_handler_comes_back():
    interrupt, announced = Interrupt(), []
    before = signal.getsignal(signal.SIGINT)
    with first_stops_second_exits(interrupt, lambda: announced.append("stopping")):
        signal.raise_signal(signal.SIGINT)
        assert interrupt.requested and announced == ["stopping"]
    assert signal.getsignal(signal.SIGINT) is before


def test_a_step_that_checks_the_flag_stops_with_exit_130():
    interrupt = Interrupt()
    interrupt.check("nothing asked yet")
    interrupt.request()
    try:
        interrupt.check("the change set of app was not executed")
    except Interrupted as stopped:
        assert stopped.exit_code == EXIT_INTERRUPTED
        assert str(stopped) == "interrupted: the change set of app was not executed"
    else:
        raise AssertionError("no Interrupted")


STUCK_RUN = """
import sys, time
from stackyard.deploy.interrupt import Interrupt, first_stops_second_exits
interrupt = Interrupt()
with first_stops_second_exits(interrupt, lambda: print("first: stopping", flush=True)):
    print("ready", flush=True)
    while True:
        time.sleep(0.05)  # a run that does not get round to stopping
"""


def test_the_second_sigint_exits_at_once_with_130():
    with subprocess.Popen(
        [sys.executable, "-c", STUCK_RUN], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout.readline().strip() == "ready"
            child.send_signal(signal.SIGINT)
            assert child.stdout.readline().strip() == "first: stopping"
            time.sleep(0.2)
            assert child.poll() is None  # the first Ctrl-C does not kill it
            started = time.monotonic()
            child.send_signal(signal.SIGINT)
            assert child.wait(timeout=10) == EXIT_INTERRUPTED
            assert time.monotonic() - started < 5
            assert "interrupted again: exiting now" in child.stderr.read()
        finally:
            if child.poll() is None:
                child.kill()

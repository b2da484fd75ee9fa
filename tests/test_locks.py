"""Run and claim locks (filelock's flock): one holder at a time, named in the next one's message,
and gone when the holder dies, even by kill -9."""

import os
import platform
import subprocess
import sys

from resnet_study.io import exclusive_lock, is_locked, lock_holder

HOLD = ("import sys, time\nfrom resnet_study.io import exclusive_lock\n"
        "with exclusive_lock(sys.argv[1]) as mine:\n    print(mine, flush=True)\n    time.sleep(120)\n")


def test_a_lock_names_its_holder_and_dies_with_it_on_kill_9(tmp_path):
    path = tmp_path / "locks" / "run.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "True"
        with exclusive_lock(path) as mine:
            assert not mine
        assert is_locked(path) and lock_holder(path) == f"process {holder.pid} on {platform.node()}"
    finally:
        holder.kill()  # SIGKILL: no clean-up code runs
        holder.wait()
    assert not is_locked(path)
    with exclusive_lock(path) as mine:
        assert mine and lock_holder(path) == f"process {os.getpid()} on {platform.node()}"
    assert path.exists() and not is_locked(path)  # the file stays, so later holders share its inode

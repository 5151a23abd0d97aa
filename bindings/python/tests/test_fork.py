"""A process that used the shared library and then forks must not hang (golang/go #15538)."""
import multiprocessing as mp
import os
import subprocess
import sys
import textwrap

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def run(code, timeout=60, tmp_path_factory=None):
    """Runs code as a script file (spawn children must be able to import __main__), with a timeout: a hang
    fails the test instead of stalling the suite."""
    import tempfile
    env = dict(os.environ, PYTHONPATH=os.path.dirname(HERE) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(textwrap.dedent(code))
    try:
        return subprocess.run([sys.executable, f.name], capture_output=True, text=True, timeout=timeout, env=env)
    finally:
        os.unlink(f.name)


def test_fork_after_use_fails_fast_with_advice():
    r = run("""
        import os, gstauth
        gstauth.new_app_key()
        pid = os.fork()
        if pid == 0:
            try:
                gstauth.new_app_key()
                os._exit(3)
            except gstauth.ForkError as e:
                os._exit(0 if "spawn" in str(e) and "preload" in str(e) else 4)
        _, status = os.waitpid(pid, 0)
        print("child", os.waitstatus_to_exitcode(status))
        gstauth.new_app_key()  # the parent goes on working
        print("parent ok")
    """)
    assert "child 0" in r.stdout and "parent ok" in r.stdout, r.stdout + r.stderr


def test_multiprocessing_fork_pool_does_not_hang():
    r = run("""
        import multiprocessing as mp, gstauth
        def work(_):
            try:
                return len(gstauth.new_app_key().app_key)
            except gstauth.ForkError:
                return "fork-error"
        if __name__ == "__main__":
            gstauth.new_app_key()
            with mp.get_context("fork").Pool(2) as p:
                print(p.map(work, range(4)))
    """)
    assert "fork-error" in r.stdout, r.stdout + r.stderr


def test_import_before_fork_is_fine():
    """The library is loaded lazily: importing gstauth before forking costs nothing."""
    r = run("""
        import os, gstauth
        pid = os.fork()
        if pid == 0:
            os._exit(0 if len(gstauth.new_app_key().app_key) == 32 else 5)
        _, status = os.waitpid(pid, 0)
        print("child", os.waitstatus_to_exitcode(status))
    """)
    assert "child 0" in r.stdout, r.stdout + r.stderr


def test_spawn_works_after_use():
    r = run("""
        import multiprocessing as mp, gstauth
        def work(_):
            return len(gstauth.new_app_key().app_key)
        if __name__ == "__main__":
            gstauth.new_app_key()
            with mp.get_context("spawn").Pool(2) as p:
                print(p.map(work, range(4)))
    """)
    assert "[32, 32, 32, 32]" in r.stdout, r.stdout + r.stderr


def test_wasm_backend_survives_fork():
    r = run("""
        import os, gstauth
        b = gstauth.get_backend("wasm")
        gstauth.new_app_key(backend=b)
        pid = os.fork()
        if pid == 0:
            os._exit(0 if len(gstauth.new_app_key(backend=b).app_key) == 32 else 6)
        _, status = os.waitpid(pid, 0)
        print("child", os.waitstatus_to_exitcode(status))
    """, timeout=120)
    assert "child 0" in r.stdout, r.stdout + r.stderr

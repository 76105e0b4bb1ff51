"""ASGI entry point for ``uvicorn dispatch_center.asgi:app`` (serve with workers)."""

import logging
import os
import signal
import threading
import time

from dispatch_center.app import create_app
from dispatch_center.settings import configure_logging, get_settings

SUPERVISOR_ENV = "DISPATCH_SERVE_SUPERVISOR_PID"
"""Set by ``dispatch-center serve`` for its workers: the pid of the process supervising
them (a hand-over between the command and its workers, not a setting)."""

log = logging.getLogger(__name__)


def leave_with_supervisor(poll_s: float = 1.0) -> None:
    """In a worker of ``serve``: stop (gracefully, as on SIGTERM) once the supervising
    process is gone.

    uvicorn's workers do not watch their parent: a supervisor killed with SIGKILL (or by
    the OOM killer) left its workers serving on the port as orphans, holding database
    connections, and a new ``serve`` could not bind. With one worker the app runs in the
    supervisor itself and there is nothing to watch.
    """
    raw = os.environ.get(SUPERVISOR_ENV, "")
    if not raw.isdigit() or int(raw) == os.getpid():
        return
    supervisor = int(raw)

    def watch() -> None:
        while os.getppid() == supervisor:
            time.sleep(poll_s)
        log.warning("serve's supervisor (pid %s) is gone: this worker stops", supervisor)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="supervisor-watch", daemon=True).start()


_settings = get_settings()
configure_logging(_settings)
leave_with_supervisor()
# In demo mode every worker makes sure the demo accounts exist with the demo password.
app = create_app(_settings, demo_password=_settings.demo_password if _settings.demo else None)

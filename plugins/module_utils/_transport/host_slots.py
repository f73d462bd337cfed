# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: at most so many requests in flight to one API host from every module process
of one controller (the forks of a stage of tenants that share a host), whatever each module's own concurrency.

A request holds one of the host's slots from the moment it is sent until its answer's headers arrive; it gives its
slot back while it waits out a Retry-After or a backoff, so a tenant that is told to slow down waits alone. A slot
is a file of a private directory of the user's under the temp directory, taken with an exclusive flock: the kernel
drops a lock with the last descriptor of its holder, so the slots of a process that dies, however it dies, are free
at once (a count kept in a file would stay taken). The holder removes the file before it lets go (a taker checks
that the file it locked is still the one of that name), and the last one out removes the directory, so nothing
stays behind. Written by hand because no library at hand shares a bound between unrelated processes; flock rather
than lockf because flock locks belong to an open file, so the threads of one process count one by one too.
"""

import contextlib
import errno
import fcntl
import hashlib
import os
import random
import stat
import tempfile
import threading

from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import KoreaiError

LIMIT_VARIABLE = "KOREAI_HOST_CONCURRENCY"
DEFAULT_LIMIT = 16  # requests in flight to one host from all the modules of a controller; 0 turns the bound off
_HELD = threading.local()  # the slot (descriptor) the current thread's request holds, and whose slots it is


def limit_from(environ):
    """The bound of KOREAI_HOST_CONCURRENCY in environ (DEFAULT_LIMIT when unset); KoreaiError when not a number."""
    text = environ.get(LIMIT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_LIMIT
    try:
        limit = int(text)
    except ValueError:
        limit = -1
    if limit < 0:
        raise KoreaiError("%s must be a whole number of requests (0 for no bound), not %r" % (LIMIT_VARIABLE, text))
    return limit


def slots_directory():
    """This user's private directory of slots (created); KoreaiError when it exists and is not private."""
    directory = os.path.join(tempfile.gettempdir(), "koreai-ai_for_process-%d" % os.getuid())
    info = None
    while info is None:
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            pass
        except OSError as exc:
            raise KoreaiError("the bound of requests per host (%s) keeps its lock files in %s, which cannot be created "
                              "(%s): point TMPDIR at a writable directory, or set %s=0" % (
                                  LIMIT_VARIABLE, directory, exc.strerror, LIMIT_VARIABLE)) from None
        try:
            info = os.lstat(directory)
        except FileNotFoundError:  # the last holder of a slot removed it meanwhile
            continue
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise KoreaiError("%s is not a private directory of this user, so the bound of requests per host (%s) cannot "
                          "be kept there: remove it, or point TMPDIR elsewhere" % (directory, LIMIT_VARIABLE))
    return directory


class HostSlots:
    """The slots of one API host; limit 0 means no bound (then nothing touches the disk), None the bound of
    KOREAI_HOST_CONCURRENCY in this process's environment."""

    def __init__(self, origin, limit=None):
        self.limit = limit_from(os.environ) if limit is None else limit
        self.prefix = hashlib.sha256(origin.encode("utf-8")).hexdigest()[:24] + "-slot-"

    @contextlib.contextmanager
    def slot(self):
        """Hold one slot for the body of the with statement (waiting for one when all are taken)."""
        if not self.limit:
            yield
            return
        _HELD.slots, _HELD.taken = self, self._take()
        try:
            yield
        finally:
            taken, _HELD.slots, _HELD.taken = _HELD.taken, None, None
            if taken is not None:
                release(*taken)

    def _take(self):
        """(descriptor, path) of a slot now locked by this thread. While every slot is taken, the thread sleeps in
        the kernel until the holder of one of them lets it go (no polling: a fleet's waiting threads cost no CPU)."""
        while True:
            directory = slots_directory()
            paths = [os.path.join(directory, self.prefix + str(number))
                     for number in random.sample(range(self.limit), self.limit)]  # nosec B311 - spreads the takers
            for path in paths:
                taken = lock_if_free(path)
                if taken is not None:
                    return taken
            wait_for(paths[0])


def lock_if_free(path):
    """(descriptor, path) of the slot file path, locked by this thread; None when another holds it (or removed it
    meanwhile, or the directory went away with the last holder: the caller looks again)."""
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        locked = os.fstat(descriptor)
        current = os.stat(path)
        if (locked.st_dev, locked.st_ino) == (current.st_dev, current.st_ino):
            return descriptor, path
    except OSError as exc:
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.ENOENT):
            os.close(descriptor)
            raise
    os.close(descriptor)
    return None


def wait_for(path):
    """Return once the holder of the slot file path has let it go (at once when it is gone already)."""
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    finally:
        os.close(descriptor)


def release(descriptor, path):
    """Let a slot go: its file removed while still locked, then the lock; the directory too when it is empty."""
    try:
        os.unlink(path)
    finally:
        os.close(descriptor)
    try:
        os.rmdir(os.path.dirname(path))
    except OSError:
        pass  # other slots are held


@contextlib.contextmanager
def slot_given_back():
    """While the current thread waits (a Retry-After, a backoff between retries), its slot is free for others; it
    takes one again before it sends anything."""
    slots, taken = getattr(_HELD, "slots", None), getattr(_HELD, "taken", None)
    if taken is None:
        yield
        return
    _HELD.taken = None
    release(*taken)
    try:
        yield
    finally:
        _HELD.taken = slots._take()  # pylint: disable=protected-access

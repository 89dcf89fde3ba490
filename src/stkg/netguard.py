"""Processes that run queries cannot call out: a seccomp filter on `socket()`.

The query gate (stkg.sandbox) refuses SERVICE and LOAD on a parse of the query; this is the
line behind it, for whatever the gate misses. `forbid_network()` installs a seccomp-BPF
filter under which `socket()` and `socketpair()` fail with EPERM for every address family
but AF_UNIX (multiprocessing's pipes and socket pairs keep working), as does
`io_uring_setup()` (io_uring can open sockets without the `socket` system call). Sockets
already open keep working: `stkg serve` binds its listening sockets first, then forbids,
and `accept()` still hands it connections. The filter applies to every thread of the
process (SECCOMP_FILTER_FLAG_TSYNC) and to every process it starts.

Installed by every query worker at start, by every CLI command but `serve` before it runs,
and by `serve` once waitress has bound its sockets. `STKG_ALLOW_NETWORK=1` turns it off.
Where seccomp is not available (not Linux on x86-64 or AArch64, or a kernel without it) the
gate alone stands, and the first attempt says so once on stderr. A small BPF program via
ctypes, not a binding: docs/decisions.md says why.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import platform
import struct
import sys

# Per architecture: the AUDIT_ARCH value and the numbers of seccomp, socket, socketpair,
# io_uring_setup (linux/audit.h, asm/unistd.h).
_ARCHES = {
    "x86_64": (0xC000003E, 317, 41, 53, 425),
    "aarch64": (0xC00000B7, 277, 198, 199, 425),
}
_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1
_RET_ALLOW = 0x7FFF0000
_RET_EPERM = 0x00050000 | errno.EPERM
_LD_ABS_W, _JEQ, _JGE, _RET = 0x20, 0x15, 0x35, 0x06
_X32_BIT = 0x40000000
_AF_UNIX = 1

_state: dict[str, bool] = {}  # per process, as the filter is


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def allowed_by_environment() -> bool:
    """`STKG_ALLOW_NETWORK=1` (or true/yes): leave the network alone."""
    return os.environ.get("STKG_ALLOW_NETWORK", "").strip().lower() in ("1", "true", "yes")


def active() -> bool:
    """Whether this process runs under the filter."""
    return _state.get("active", False)


def forbid_network() -> bool:
    """Forbid this process (all its threads, and the processes it starts) to open network
    sockets. Returns whether the filter is in place."""
    if active():
        return True
    if allowed_by_environment():
        return False
    arch = _ARCHES.get(platform.machine().lower()) if sys.platform == "linux" else None
    if arch is None:
        where = f"{sys.platform}/{platform.machine()}"
        return _unavailable(f"seccomp filters are not supported on {where}")
    audit_arch, nr_seccomp, nr_socket, nr_socketpair, nr_io_uring = arch
    code = [
        (_LD_ABS_W, 0, 0, 4),  # 0: arch
        (_JEQ, 1, 0, audit_arch),  # 1: native? -> 3
        (_RET, 0, 0, _RET_EPERM),  # 2: a foreign ABI (i386 on x86-64): refuse
        (_LD_ABS_W, 0, 0, 0),  # 3: system call number
        (_JGE, 7, 0, _X32_BIT),  # 4: the x32 ABI -> 12
        (_JEQ, 6, 0, nr_io_uring),  # 5: -> 12
        (_JEQ, 2, 0, nr_socket),  # 6: -> 9
        (_JEQ, 1, 0, nr_socketpair),  # 7: -> 9
        (_RET, 0, 0, _RET_ALLOW),  # 8
        (_LD_ABS_W, 0, 0, 16),  # 9: the address family (low word of the first argument)
        (_JEQ, 0, 1, _AF_UNIX),  # 10: AF_UNIX -> 11, else 12
        (_RET, 0, 0, _RET_ALLOW),  # 11
        (_RET, 0, 0, _RET_EPERM),  # 12
    ]
    raw = b"".join(struct.pack("=HBBI", *instruction) for instruction in code)
    buffer = ctypes.create_string_buffer(raw, len(raw))
    program = _Program(len(code), ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return _unavailable(f"prctl(PR_SET_NO_NEW_PRIVS): {os.strerror(ctypes.get_errno())}")
    result = libc.syscall(
        nr_seccomp, _SECCOMP_SET_MODE_FILTER, _SECCOMP_FILTER_FLAG_TSYNC, ctypes.byref(program)
    )
    if result != 0:
        reason = os.strerror(ctypes.get_errno()) if result < 0 else f"thread {result}"
        return _unavailable(f"seccomp(SECCOMP_SET_MODE_FILTER): {reason}")
    _state["active"] = True
    return True


def _unavailable(reason: str) -> bool:
    if not _state.get("warned"):
        _state["warned"] = True
        print(
            f"stkg: cannot forbid network access here ({reason}); the query gate alone "
            "keeps queries from calling out",
            file=sys.stderr,
        )
    return False

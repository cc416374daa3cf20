"""The seccomp filter every sandbox runs under: which system calls a submission may not make.

Who runs it: :mod:`hongong.grading.sandbox` compiles the program once per process (libseccomp through pyseccomp)
and hands it to ``bwrap --seccomp FD``, which loads it before the sandboxed command starts.
"""

from __future__ import annotations

import errno
import functools
import os
import socket

SOCKET_FAMILIES = (socket.AF_UNIX, socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK)  # the only ones allowed
NETLINK_ROUTE = 0  # the only netlink protocol allowed (glibc's getaddrinfo asks it for the interfaces)
AF_MAX = 46  # families above are denied by one comparison (as are values with high bits set)
CLONE_NEWUSER = 0x10000000
DENIED_CALLS = ("add_key", "request_key", "keyctl",  # keyrings outlive the sandbox (the uid's, the user's)
                "io_uring_setup", "io_uring_enter", "io_uring_register")  # io_uring creates sockets past the filter


@functools.cache
def seccomp_program() -> bytes:
    """The BPF program every sandbox runs under: no keyrings, no io_uring, no user namespace, sockets of the
    allowed families only.

    Everything else is allowed. Denied calls fail with EPERM, denied socket families with EAFNOSUPPORT;
    a system call of another ABI (i386's ``int 0x80``, x32's numbers) fails with ENOSYS, so it cannot
    slip past rules written for the native one.
    """
    import pyseccomp as seccomp

    rules = seccomp.SyscallFilter(seccomp.ALLOW)
    rules.set_attr(seccomp.Attr.ACT_BADARCH, seccomp.ERRNO(errno.ENOSYS))
    for call in DENIED_CALLS:
        rules.add_rule(seccomp.ERRNO(errno.EPERM), call)
    for call in ("unshare", "clone"):  # a user namespace would give "root" over new network stacks: kernel surface
        rules.add_rule(seccomp.ERRNO(errno.EPERM), call, seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER))
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")  # flags behind a pointer: glibc falls back to clone
    refuse = seccomp.ERRNO(errno.EAFNOSUPPORT)
    for call in ("socket", "socketpair"):
        for family in set(range(AF_MAX + 1)) - set(SOCKET_FAMILIES):
            rules.add_rule(refuse, call, seccomp.Arg(0, seccomp.EQ, family))
        rules.add_rule(refuse, call, seccomp.Arg(0, seccomp.GT, AF_MAX))
        rules.add_rule(refuse, call, seccomp.Arg(0, seccomp.EQ, socket.AF_NETLINK),
                       seccomp.Arg(2, seccomp.NE, NETLINK_ROUTE))
    with os.fdopen(os.memfd_create("hongong-seccomp"), "w+b") as compiled:
        rules.export_bpf(compiled)
        compiled.seek(0)
        return compiled.read()


def seccomp_file():
    """The program in a fresh in-memory file (bwrap reads it to the end from ``--seccomp FD``)."""
    program = os.fdopen(os.memfd_create("hongong-seccomp"), "w+b")
    program.write(seccomp_program())
    program.seek(0)
    return program

"""The QMK kernel: qSyscall (JSON-RPC 2.0 on a Unix socket), sessions, jobs, tenants, security, store.

``qmk-kernel serve`` runs ``server.KernelServer``; ``client.KernelClient`` and ``client.submit_and_wait``
talk to it. docs/kernel.md describes the kernel, docs/qsyscall.md every call.
"""

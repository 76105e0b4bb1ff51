"""The connected systems and intake channels as pure adapters: each turns a raw payload
into feed events and order drafts (``normalize``), declares what it is (``DESCRIPTOR``) and
has recorded payloads in the tests. No I/O; the runner owns scheduling and health.
"""

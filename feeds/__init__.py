"""The connected systems and intake channels as pure adapters: each turns a raw payload
into feed events and order drafts (``normalize``), declares what it is (``DESCRIPTOR``) and
which values of its events may leave the center (``PUBLIC_VALUES``, gathered by
``registry.Catalogue.public_values``), and has recorded payloads in the tests. No I/O; the
runner owns scheduling and health.
"""

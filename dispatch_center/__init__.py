"""The 12345 command-and-dispatch center: the service behind the wall, the consoles and the
API. The shape of the package is described in ``docs/architecture.md``.
"""

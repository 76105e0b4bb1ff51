"""The bundled policy files, one per mode (package data, read by the services)."""

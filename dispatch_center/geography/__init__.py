"""The geography the center routes with: Leshan's areas, the duty catalogue (权责清单) and
asset layers, and their imported versions.

- :mod:`.bundled`: reads the committed Leshan data in ``geo/data`` (the only file reader).
- :mod:`.model`: :class:`~.model.Geography`, one consistent set held by the running center.
- :mod:`.geofences`: township and village geofence imports as versions, and the swap.
- :mod:`.catalogue`: the duty catalogue as versioned data.
- :mod:`.locate`: locating points for the API.

``bundled`` and ``model`` sit below :mod:`dispatch_center.center` (the center holds a
``Geography``) and import neither it nor any service; the other modules may import
``store``, ``bus``, ``center``, ``errors`` and the pure ``geo`` package.
"""

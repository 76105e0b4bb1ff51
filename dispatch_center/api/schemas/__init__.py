"""Response models of the HTTP API, one module per resource (``...Public``, ``...List``).

They describe the JSON the services build (``dict`` views); a handler validates the view
once with ``Model.model_validate(view)`` and returns the model. Every model is a
:class:`~dispatch_center.api.schemas.common.Public`: only the keys the view has go on the
wire (routes serialise with ``exclude_unset``), unknown keys pass through unchanged, and
open payloads (a feed event's ``values``, a report's data, a timeline entry's ``data``)
stay ``dict[str, Any]``. What is shown (a masked phone number, say) is decided by the
services; these models only describe it.

May import pydantic and :mod:`dispatch_center.models`; nothing from services, stores or
routes.
"""

"""Intake: every outside payload, from the five citizen channels and the 21 connected
systems, made durable and processed exactly once.

The steps of a payload, in order:

- ``sources`` — who may post and how much: keys, signatures, size and rate limits;
  ``errors`` — the refusals (413, 429, 422 with its dead letter).
- ``ingest`` — :class:`~.ingest.Ingest`, accepting a payload (validate, make durable, queue)
  and composing the steps below; ``queue`` — the durable queue (the ``intake`` table,
  group commit in ``group_commit``), its consumers, retries, the workers' heartbeats and
  the takeover of a stopped worker's rows; ``payloads`` — the shapes the steps share.
- ``processing`` — decode, rules, events in one transaction, orders from the drafts and
  their attachments, mode triggers; with the pure ``events`` (live-layer keys, event rows,
  the wall's change entries), ``conditions`` (feed conditions in the mode triggers' shape)
  and ``flood`` (a river back under its mark after a flood alert).
- The channels and linked systems: ``channels`` (voice, e-mail, WeChat, SMS, letters),
  ``wechat`` (one conversation, one order), ``cap`` (CAP chains), ``police110`` (the 110
  link), ``open311`` (the GeoReport v2 server), ``poll`` (fetching a poll system over HTTP).
- Around them: ``layers`` (the live layers of this process), ``feed_health`` (health shared
  by the workers and announced on the wall), ``dead_letters`` (an admin's list and replay).
- ``runtime`` — :class:`~.runtime.IntakeRuntime`, the running intake held on the center
  (``center.runtimes.get(IntakeRuntime)``), started and stopped by the app's lifespan, and a
  ``/readyz`` check of its consumers.

Imports go one way, down that list: ``runtime`` wires the channels, hooks, prechecks and
layers into ``ingest``, which knows none of them; a channel gets what it needs of the
running intake handed in (``payloads.ChannelContext``), never looks it up.

May import: ``dispatch_center.core``, ``store``, ``center``, ``errors``, ``background``,
``models``, ``accounts``, ``orders``, ``modeswitch`` (feed conditions suggest a mode), and
the pure ``feeds`` package. Imported by ``demo``, the HTTP layer and the wall.
"""

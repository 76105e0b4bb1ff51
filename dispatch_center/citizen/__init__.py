"""The citizen's side of the loop (回、评, issue 21): replies to the callback survey read
into evaluations (:mod:`~.replies`), the callback desk where seats call the rest
(:mod:`~.desk`), and the public status lookup (:mod:`~.status`).

May import: the kernel, ``accounts``, ``reference``, ``modeswitch``, ``orders``,
``messaging`` and ``supervision``. Imported by ``api`` and the app factory.
"""

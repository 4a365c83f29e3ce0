"""WhatDoTheyKnow: finding, reading and recording the public requests about the equipment.

``client`` (polite HTTP: cache, pauses, retries), ``state`` (what has been read,
in the cache folder), ``pull`` (``python -m geo wdtk pull``), ``matching`` (the
site's bodies in this project's terms) and ``recording`` (rows of
``foi_requests.csv``, the answers queue, recording what an answer says).
"""

"""Runs thingsim's test vectors against a receiver with pytest:

    thingsim vectors --out things-vectors.json
    THINGS_SECRET=<the file's secret> python3 app.py &
    RECEIVER_URL=http://127.0.0.1:8080 VECTORS=things-vectors.json python3 -m pytest test_things_vectors.py
"""
import base64
import json
import os
import urllib.error
import urllib.request

import pytest

with open(os.environ.get("VECTORS", "things-vectors.json"), encoding="utf-8") as f:
    VECTORS = json.load(f)
BASE = os.environ.get("RECEIVER_URL", "http://127.0.0.1:8080")


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_vector(case):
    request = urllib.request.Request(
        BASE + case["path"],
        data=base64.b64decode(case["body_base64"]),  # the exact bytes, not case["body"] re-encoded
        method=case["method"],
        headers={h["name"]: h["value"] for h in case["headers"]},
    )
    try:
        with urllib.request.urlopen(request) as response:
            status = response.status
    except urllib.error.HTTPError as e:
        status = e.code
    got = "accept" if 200 <= status < 300 else "refuse"
    assert got == case["expect"], f'{case["name"]}: {case["why"]} (answered {status})'

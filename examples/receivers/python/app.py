"""A minimal correct receiver of a KPN Things HTTPS destination with Flask: the token is checked
over the raw body (request.get_data), never over re-serialised JSON (request.json)."""
import hashlib
import hmac
import json
import os

from flask import Flask, abort, request

app = Flask(__name__)
SECRET = os.environ["THINGS_SECRET"].encode()


@app.post("/things")
def things():
    body = request.get_data(cache=False)  # the exact bytes
    want = hashlib.sha256(body + SECRET).hexdigest()  # sha256(body || secret)
    got = request.headers.get("Things-Message-Token", "").lower()
    if not hmac.compare_digest(want.encode(), got.encode("latin-1")):
        abort(401)
    pack = json.loads(body)  # the SenML pack: queue or store it
    return "", 200


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ["PORT"]))

// Runs thingsim's test vectors against a receiver with node:test:
//   thingsim vectors --out things-vectors.json
//   THINGS_SECRET=<the file's secret> node server.js &
//   RECEIVER_URL=http://127.0.0.1:8080 VECTORS=things-vectors.json node --test things-vectors.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const vectors = JSON.parse(readFileSync(process.env.VECTORS ?? 'things-vectors.json', 'utf8'));
const base = process.env.RECEIVER_URL ?? 'http://127.0.0.1:8080';

for (const c of vectors.cases) {
  test(c.name, async () => {
    const res = await fetch(base + c.path, {
      method: c.method,
      headers: Object.fromEntries(c.headers.map((h) => [h.name, h.value])),
      body: Buffer.from(c.body_base64, 'base64'), // the exact bytes, not c.body re-encoded
    });
    await res.arrayBuffer();
    assert.equal(res.ok ? 'accept' : 'refuse', c.expect, `${c.name}: ${c.why} (answered ${res.status})`);
  });
}

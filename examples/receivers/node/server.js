// A minimal correct receiver of a KPN Things HTTPS destination with Express: express.raw keeps
// the exact bytes (express.json would parse them, and a re-serialised body breaks the token).
const crypto = require('crypto');
const express = require('express');

const secret = process.env.THINGS_SECRET;
const app = express();

app.post('/things', express.raw({ type: '*/*', limit: '1mb' }), (req, res) => {
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const want = crypto.createHash('sha256').update(body).update(secret).digest(); // sha256(body || secret)
  const got = Buffer.from(req.get('Things-Message-Token') || '', 'hex');
  if (got.length !== want.length || !crypto.timingSafeEqual(got, want)) {
    return res.status(401).send('invalid Things-Message-Token');
  }
  const pack = JSON.parse(body.toString('utf8')); // the SenML pack: queue or store it
  res.sendStatus(200);
});

app.listen(Number(process.env.PORT), '127.0.0.1');

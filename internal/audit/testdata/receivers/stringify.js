// A receiver as many Express handlers are written: the body parsed, then the token checked over
// JSON.stringify of what was parsed, not over the bytes received. Prints its port, then serves.
const http = require("http");
const crypto = require("crypto");
const secret = process.argv[2];
http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    let pack;
    try {
      pack = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch (e) {
      res.writeHead(400).end("not JSON");
      return;
    }
    const token = crypto.createHash("sha256").update(JSON.stringify(pack) + secret).digest("hex");
    if (token !== req.headers["things-message-token"]) {
      res.writeHead(401).end("invalid token");
      return;
    }
    res.writeHead(200).end("ok");
  });
}).listen(0, "127.0.0.1", function () {
  console.log(this.address().port);
});

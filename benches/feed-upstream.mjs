// A feed server for the gateway benchmarks: GET /feed/<name> answers a small JSON body
// with `Cache-Control: max-age=$MAX_AGE` (default 10) and an ETag (304 to a matching
// If-None-Match), only with the API key the gateway attaches (`?apikey=$API_KEY`), and
// counts every request that reaches it. GET /_count answers the counts as JSON;
// GET /_hang?on=1 makes every later feed request hang (never answered; ?on=0 undoes it).
// Prints {"listening":"http://127.0.0.1:PORT"} once bound.
//
//   API_KEY=… MAX_AGE=10 node benches/feed-upstream.mjs
import { createServer } from 'node:http';

const maxAge = Number(process.env.MAX_AGE ?? 10);
const apiKey = process.env.API_KEY ?? '';
const counts = { total: 0, not_modified: 0, refused: 0, hung: 0, feeds: {} };
let hang = false;

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/_count') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(counts));
    return;
  }
  if (url.pathname === '/_hang') {
    hang = url.searchParams.get('on') === '1';
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ hang }));
    return;
  }
  const m = /^\/feed\/([\w-]+)$/.exec(url.pathname);
  if (!m) {
    res.writeHead(404).end();
    return;
  }
  counts.total += 1;
  if (hang) {
    counts.hung += 1;
    return;
  }
  if (apiKey && url.searchParams.get('apikey') !== apiKey) {
    counts.refused += 1;
    res.writeHead(401).end('no key');
    return;
  }
  const name = m[1];
  counts.feeds[name] = (counts.feeds[name] ?? 0) + 1;
  // The content changes every window: one ETag per feed and window.
  const window = Math.floor(Date.now() / 1000 / Math.max(maxAge, 1));
  const etag = `"${name}-${window}"`;
  const headers = { 'cache-control': `max-age=${maxAge}`, etag };
  if (req.headers['if-none-match'] === etag) {
    counts.not_modified += 1;
    res.writeHead(304, headers).end();
    return;
  }
  res
    .writeHead(200, { ...headers, 'content-type': 'application/json' })
    .end(JSON.stringify({ feed: name, window, items: [{ title: 'Lobby', value: 21.5 }, { title: 'Hall', value: 19.0 }] }));
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ listening: `http://127.0.0.1:${server.address().port}` }));
});

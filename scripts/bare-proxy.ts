/**
 * The baseline for bench:proxy: the smallest correct node:http pipe proxy (keep-alive pool, streams piped,
 * no observation, no storage). bench:proxy compiles it with esbuild and runs it with plain `node`, like CCO's
 * bundle: node bare-proxy.cjs <upstream-url>; prints {"port":N}.
 */
import http from 'node:http';

const upstream = new URL(process.argv[2] ?? 'http://127.0.0.1:1');
const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 64 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host']);

const server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) => {
  const headers: string[] = ['Host', upstream.host];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (!HOP.has(req.rawHeaders[i]!.toLowerCase())) headers.push(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  }
  const up = http.request({ agent, host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, setHost: false }, (upRes) => {
    const out: string[] = [];
    for (let i = 0; i < upRes.rawHeaders.length; i += 2) {
      if (!HOP.has(upRes.rawHeaders[i]!.toLowerCase())) out.push(upRes.rawHeaders[i]!, upRes.rawHeaders[i + 1]!);
    }
    res.writeHead(upRes.statusCode ?? 502, out);
    upRes.pipe(res);
  });
  up.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(up);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as { port: number }).port }) + '\n');
});

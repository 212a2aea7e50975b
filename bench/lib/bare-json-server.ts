import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BareServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The API benchmark's baseline: node:http answering each path with bytes held in memory. It is the ceiling
 * for this machine, this Node and this load generator; Tessera is held against it in the same run.
 */
export async function startBareJsonServer(bodiesByPath: Map<string, Buffer>): Promise<BareServer> {
  const server = createServer((req, res) => {
    const body = bodiesByPath.get(req.url ?? '');
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

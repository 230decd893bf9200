import { createServer, type AddressInfo } from 'node:net';

/** A port free on `host` right now: taken with listen(0), then given back for the caller's process to bind. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, host, resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

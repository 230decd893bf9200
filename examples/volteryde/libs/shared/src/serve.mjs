// Starts a service the way Gantry runs it: on process.env.PORT, logging JSON lines, and draining
// on SIGTERM so that a rolling or blue-green switch drops no request in flight.

const DRAIN_LIMIT_MS = 10_000;

export function serve(server, { name, defaultPort, env = process.env, log = (line) => console.log(JSON.stringify(line)) }) {
  const port = Number(env.PORT ?? defaultPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    log({ level: 'error', service: name, msg: `PORT must be a port number, got "${env.PORT}"` });
    process.exit(2);
  }
  // No host: listen on every address, so that "localhost" works whether it resolves to ::1 or 127.0.0.1.
  server.listen(port, env.HOST, () => {
    log({ level: 'info', service: name, msg: 'listening', port: server.address().port, revision: env.GANTRY_REVISION ?? null });
  });
  const stop = (signal) => {
    log({ level: 'info', service: name, msg: 'draining', signal });
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), DRAIN_LIMIT_MS).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return server;
}

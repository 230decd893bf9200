import { finding } from '../issues.js';
import type { Finding } from '../issues.js';
import { listenersOf, MAX_PORT } from './listeners.js';
import type { Listener } from './listeners.js';
import type { ConfigRule } from './rule.js';

/** Blame what the user would change: a service port within one environment, else the environment's offsets. */
function blame(earlier: Listener, later: Listener): Listener['envBlame'] {
  return earlier.env === later.env && earlier.preview === later.preview ? later.serviceBlame : later.envBlame;
}

/** Two listeners on one port: the second revision could never start, and on one machine that is every deploy. */
export const portConflict: ConfigRule = {
  name: 'port-conflict',
  check(config) {
    const taken = new Map<number, Listener>();
    const found: Finding[] = [];
    for (const listener of listenersOf(config)) {
      if (listener.port > MAX_PORT) continue;
      const earlier = taken.get(listener.port);
      if (!earlier) {
        taken.set(listener.port, listener);
        continue;
      }
      const { path, anchor } = blame(earlier, listener);
      const sameEnv = earlier.env === listener.env;
      found.push(
        finding('CONFIG_PORT_CONFLICT', path, `port ${listener.port} is used by both ${earlier.label} (${earlier.sum}) and ${listener.label} (${listener.sum})`, {
          anchor,
          hint: sameEnv
            ? 'give one of the services another run.port'
            : 'space the environments apart with portOffset (e.g. dev 0, staging 100, production 200), keeping clear of previewPortOffset',
        }),
      );
    }
    return found;
  },
};

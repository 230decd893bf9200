import { finding } from '../issues.js';
import { listenersOf, MAX_PORT } from './listeners.js';
import type { ConfigRule } from './rule.js';

/** A port above 65535 cannot be bound; offsets make this easy to hit without any single number looking wrong. */
export const portRange: ConfigRule = {
  name: 'port-range',
  check(config) {
    return listenersOf(config)
      .filter((listener) => listener.port > MAX_PORT)
      .map((listener) =>
        finding('CONFIG_PORT_OUT_OF_RANGE', listener.envBlame.path, `${listener.label} would listen on port ${listener.port} (${listener.sum}), above ${MAX_PORT}`, {
          anchor: listener.envBlame.anchor,
          hint: 'lower the portOffset or previewPortOffset of this environment, or the service port',
        }),
      );
  },
};

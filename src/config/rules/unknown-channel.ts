import { finding, formatPath } from '../issues.js';
import type { Finding } from '../issues.js';
import { suggestionHint } from '../suggest.js';
import type { ConfigRule } from './rule.js';

/** A route to a channel that does not exist would drop notifications exactly when they matter. */
export const unknownChannel: ConfigRule = {
  name: 'unknown-channel',
  check(config) {
    const declared = Object.keys(config.notifications?.channels ?? {});
    const found: Finding[] = [];
    config.notifications?.routes.forEach((route, r) => {
      route.channels.forEach((name, index) => {
        if (declared.includes(name)) return;
        const path = ['notifications', 'routes', r, 'channels', index];
        found.push(finding('CONFIG_UNKNOWN_CHANNEL', path, `${formatPath(path)} names the undeclared channel "${name}"`, { hint: suggestionHint(name, declared, 'channel') }));
      });
    });
    return found;
  },
};

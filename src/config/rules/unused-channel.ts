import { finding } from '../issues.js';
import type { Finding } from '../issues.js';
import type { ConfigRule } from './rule.js';

/** A channel no route uses is usually a route someone forgot to write; a warning, since it harms nothing. */
export const unusedChannel: ConfigRule = {
  name: 'unused-channel',
  check(config) {
    const notifications = config.notifications;
    if (!notifications) return [];
    const used = new Set(notifications.routes.flatMap((route) => route.channels));
    const found: Finding[] = [];
    for (const name of Object.keys(notifications.channels)) {
      if (used.has(name)) continue;
      found.push(
        finding('CONFIG_UNUSED_CHANNEL', ['notifications', 'channels', name], `notification channel "${name}" is declared but no route sends to it`, {
          severity: 'warning',
          anchor: 'key',
          hint: `add "${name}" to the channels of a route in notifications.routes, or remove it`,
        }),
      );
    }
    return found;
  },
};

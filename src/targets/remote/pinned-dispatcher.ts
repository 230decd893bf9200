import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { Agent } from 'undici';

/**
 * Connections to one remote agent: TLS that trusts only Gantry's CA, checks the host's address
 * against the certificate as usual, and then accepts only the certificate whose SHA-256 was
 * recorded when it was issued (pinning: a second certificate from a leaked CA key is refused).
 * The check runs in the handshake, before a byte of the request (and its token) is sent.
 */
export function pinnedDispatcher(caPem: string, fingerprint: string): Agent {
  return new Agent({
    connect: {
      ca: caPem,
      checkServerIdentity: (hostname: string, cert: PeerCertificate): Error | undefined => {
        const identity = checkServerIdentity(hostname, cert);
        if (identity) return identity;
        if (cert.fingerprint256 === fingerprint) return undefined;
        return Object.assign(new Error(`its certificate (SHA-256 ${cert.fingerprint256}) is not the one pinned for it (${fingerprint})`), { code: 'ERR_GANTRY_PIN_MISMATCH' });
      },
    },
    // A deploy makes a few calls a second at most; a connection kept a while saves the handshakes.
    keepAliveTimeout: 10_000,
  });
}

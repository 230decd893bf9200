import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One "host": a network namespace joined to this machine by a veth pair on a /30 of its own. */
export interface TestHost {
  /** The namespace's name (`ip netns`), for `nsenter --net=/var/run/netns/<ns>`. */
  readonly ns: string;
  /** The host's address, inside the namespace (10.x.y.2). */
  readonly address: string;
  /** This machine's end of the pair (10.x.y.1). */
  readonly rootSide: string;
}

export interface TestHosts {
  readonly hosts: readonly TestHost[];
  /**
   * An address on this machine's loopback that every host reaches by the same number (each routes
   * to it through its veth): where a registry listens so one image reference serves all hosts.
   */
  readonly shared: string;
  /** `nsenter --net=…` prefix for a command run on a host. */
  enter(host: TestHost): string[];
  /** Kills what still runs in the namespaces, deletes them (their veth ends go with them) and the shared address. */
  remove(): Promise<void>;
}

/** Whether namespaces can be made here: iproute2 and nsenter installed, and we are root. */
export function netnsAvailable(): boolean {
  return existsSync('/usr/bin/nsenter') && (existsSync('/usr/sbin/ip') || existsSync('/sbin/ip') || existsSync('/usr/bin/ip')) && process.getuid?.() === 0;
}

const ip = async (...args: string[]): Promise<void> => {
  await run('ip', args);
};

/**
 * `count` hosts as network namespaces with veth pairs: host i is 10.<net>.<4i>.2/30, this machine's
 * side 10.<net>.<4i>.1; `shared` is 10.<net>.255.1 on this machine's loopback, routed from every
 * host. Names carry a random tag so parallel test files never collide; call remove() in afterAll.
 */
export async function createHosts(count: number): Promise<TestHosts> {
  const tag = randomBytes(3).toString('hex');
  // The shared address is the claim on a 10.<net>.0.0/16: a test file running beside this one that
  // picked the same net fails to add it, and picks another.
  let net = 0;
  for (let attempt = 0; net === 0; attempt++) {
    const candidate = 64 + Math.floor(Math.random() * 190);
    const claimed = await ip('addr', 'add', `10.${candidate}.255.1/32`, 'dev', 'lo').then(() => true, (error: unknown) => {
      if (attempt >= 20) throw error;
      return false;
    });
    if (claimed) net = candidate;
  }
  const shared = `10.${net}.255.1`;
  const hosts: TestHost[] = [];
  const remove = async (): Promise<void> => {
    for (const host of hosts) {
      // A process left in the namespace would keep it (and its ports) alive.
      const pids = await run('ip', ['netns', 'pids', host.ns]).then((r) => r.stdout.split(/\s+/).filter(Boolean), () => []);
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await ip('netns', 'del', host.ns).catch(() => undefined);
    }
    await ip('addr', 'del', `${shared}/32`, 'dev', 'lo').catch(() => undefined);
  };
  try {
    for (let i = 0; i < count; i++) {
      const ns = `gt${tag}${i}`;
      const outside = `gv${tag}${i}a`;
      const inside = `gv${tag}${i}b`;
      const host: TestHost = { ns, address: `10.${net}.${4 * i}.2`, rootSide: `10.${net}.${4 * i}.1` };
      await ip('netns', 'add', ns);
      hosts.push(host);
      await ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
      await ip('link', 'set', inside, 'netns', ns);
      await ip('addr', 'add', `${host.rootSide}/30`, 'dev', outside);
      await ip('link', 'set', outside, 'up');
      await ip('-n', ns, 'addr', 'add', `${host.address}/30`, 'dev', inside);
      await ip('-n', ns, 'link', 'set', inside, 'up');
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
      await ip('-n', ns, 'route', 'add', `${shared}/32`, 'via', host.rootSide);
    }
  } catch (error: unknown) {
    await remove();
    throw error;
  }
  return { hosts, shared, enter: (host) => ['nsenter', `--net=/var/run/netns/${host.ns}`], remove };
}

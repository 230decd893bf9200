import { join } from 'node:path';
import type { ApiClient } from '../client.js';
import { pushDemoBaseImage } from './demo-base-image.js';
import { existingEngine, privateEngineBlocker, startPrivateEngine, type DemoEngine } from './demo-engine.js';
import { DemoImages, demoContainers, type ImagesSummary } from './demo-images.js';
import { DemoRefusal } from './demo-refusal.js';
import { findDockerRegistry, startDemoRegistry, type DemoRegistry } from './demo-registry.js';
import { dockerDemoConfig } from './demo-config.js';

/** What `--target docker` needs before anything starts: the registry binary, and an engine (found, or startable). */
export interface DockerPreflight {
  readonly registryBinary: string;
  readonly engine: DemoEngine | undefined;
}

/** Checks what the container demo needs, without starting anything; refuses with what to do. */
export async function dockerPreflight(): Promise<DockerPreflight> {
  const { engine, tried } = await existingEngine();
  if (!engine) {
    const blocker = privateEngineBlocker();
    if (blocker) {
      throw new DemoRefusal(
        `no Docker engine: ${tried.join(', ')}, and ${blocker}`,
        'Run the demo as root with Debian\'s docker.io installed (apt-get install docker.io; it starts a private engine of its own), or point DOCKER_HOST at a running engine you may use. `npm run demo` without --target runs the same pipeline with plain processes.',
      );
    }
  }
  const registryBinary = findDockerRegistry();
  if (!registryBinary) throw new DemoRefusal('no registry: docker-registry is neither on PATH nor at /usr/bin/docker-registry', 'Install Debian\'s docker-registry package (apt-get install docker-registry); the demo starts it on a free 127.0.0.1 port.');
  return { registryBinary, engine };
}

/**
 * The containers half of the demo: an engine (the user's, or a private one), a registry with the
 * base image the example names, the config pointing at both, and what the summary adds. Everything
 * it started is stopped by `stop()`, which is safe to call at any point and more than once.
 */
export class DockerDemo {
  private engine: DemoEngine | undefined;
  private registry: DemoRegistry | undefined;
  private before = new Set<string>();
  private stopped: Promise<void> | undefined;

  constructor(
    private readonly preflight: DockerPreflight,
    private readonly root: string,
    private readonly log: (text: string) => void,
  ) {}

  /** The log files of what the demo started (the server's and the agent's are the caller's). */
  logFiles(): string[] {
    return [this.engine?.logFile, this.registry?.logFile].filter((f): f is string => typeof f === 'string');
  }

  async start(): Promise<void> {
    // A short folder: unix socket paths are limited to 108 bytes.
    this.engine = this.preflight.engine ?? (await startPrivateEngine(join(this.root, 'd')));
    this.log(this.preflight.engine ? `   Docker engine ${this.engine.dockerHost} (already running; the demo removes only its own containers)` : `   a private Docker engine ${this.engine.dockerHost} (no bridge, no iptables; stopped at the end)`);
    const existing = await this.engine.docker.listContainers({ all: true });
    this.before = new Set(existing.map((c) => c.Id));
    this.registry = await startDemoRegistry(this.preflight.registryBinary, join(this.root, 'registry'));
    this.log(`   docker-registry on ${this.registry.host}`);
    const base = await pushDemoBaseImage(this.engine.docker, this.registry.host, this.root);
    this.log(`   base image from this machine's node and sh: ${base}`);
  }

  config(serverYaml: string): string {
    if (!this.engine || !this.registry) throw new Error('DockerDemo.config before start');
    return dockerDemoConfig(serverYaml, this.registry.host, this.engine.dockerHost);
  }

  images(client: ApiClient): DemoImages {
    if (!this.engine) throw new Error('DockerDemo.images before start');
    return new DemoImages(client, this.engine.docker, this.before);
  }

  async summarize(client: ApiClient, services: readonly string[], problems: string[]): Promise<ImagesSummary> {
    return this.images(client).summarize(services, ['dev', 'staging', 'production'], problems);
  }

  /** After the server and its agent are stopped: the demo's containers, the registry, a private engine. */
  stop(): Promise<void> {
    this.stopped ??= this.stopAll();
    return this.stopped;
  }

  private async stopAll(): Promise<void> {
    const engine = this.engine;
    if (engine) {
      const ours = await demoContainers(engine.docker, this.before).catch(() => []);
      await Promise.all(ours.map((c) => engine.docker.getContainer(c.id).remove({ force: true }).catch(() => undefined)));
      // On an engine the user had already, the images it pulled from the demo's registry go too (a private engine goes whole).
      const host = this.registry?.host;
      if (host && this.preflight.engine) {
        const images = await engine.docker.listImages().catch(() => []);
        const fromDemo = images.filter((i) => [...(i.RepoTags ?? []), ...(i.RepoDigests ?? [])].some((r) => r.startsWith(`${host}/`)));
        for (const image of fromDemo) await engine.docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
      }
    }
    await this.registry?.stop();
    await engine?.stop();
  }
}

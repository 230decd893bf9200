import type Docker from 'dockerode';
import { GantryError } from '../../errors/index.js';
import type { PullAuth } from './container-spec.js';
import { isNotFound, messageOf } from './docker-client.js';
import type { ImageRef } from './image-ref.js';

/** The engine's X-Registry-Auth for one registry; the password goes to the engine only. */
const authConfig = (image: ImageRef, auth: PullAuth | undefined): Record<string, string> =>
  auth ? { username: auth.username, password: auth.password, serveraddress: image.repository.split('/')[0] ?? '' } : {};

/**
 * Gets images into the engine: checks with the registry (through the engine: GET
 * /distribution/<ref>/json) that it holds the image before a revision is accepted, pulls it once
 * however many replicas ask, and checks the pulled image carries the digest asked for.
 */
export class ImagePuller {
  private readonly pulls = new Map<string, Promise<void>>();

  constructor(private readonly docker: Docker) {}

  private async present(image: ImageRef): Promise<boolean> {
    try {
      const found = await this.docker.getImage(image.ref).inspect();
      return (found.RepoDigests ?? []).includes(`${image.repository}@${image.digest}`);
    } catch (error: unknown) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** Refuses (ARTIFACT_NOT_FOUND) an image neither the engine nor its registry holds; nothing is pulled yet. */
  async check(image: ImageRef, auth: PullAuth | undefined): Promise<void> {
    if (await this.present(image)) return;
    try {
      await this.docker.getImage(image.ref).distribution({ authconfig: authConfig(image, auth) } as never);
    } catch (cause: unknown) {
      const why = messageOf(cause);
      const missing = /manifest unknown|not found|no such image|unknown manifest|does not exist/i.test(why);
      throw new GantryError(missing ? 'ARTIFACT_NOT_FOUND' : 'TARGET_ERROR', `the registry does not give ${image.ref}: ${why}`, {
        where: 'artifact.ref',
        hint: missing ? 'Push the image (by digest) to that registry first; nothing was started.' : 'Check that the engine reaches the registry and that the pull credentials are right; nothing was started.',
      });
    }
  }

  /** Pulls the image unless the engine has it; the same pull is shared by every replica asking at once. Rejects with the engine's reason. */
  ensure(image: ImageRef, auth: PullAuth | undefined): Promise<void> {
    const running = this.pulls.get(image.ref);
    if (running) return running;
    const pull = this.pull(image, auth).finally(() => this.pulls.delete(image.ref));
    this.pulls.set(image.ref, pull);
    return pull;
  }

  private async pull(image: ImageRef, auth: PullAuth | undefined): Promise<void> {
    if (await this.present(image)) return;
    const stream = await this.docker.pull(image.ref, { authconfig: authConfig(image, auth) });
    const events = await new Promise<unknown[]>((resolve, reject) => this.docker.modem.followProgress(stream, (error: Error | null, out: unknown[]) => (error ? reject(error) : resolve(out))));
    const failed = events.find((e) => typeof (e as { error?: unknown }).error === 'string') as { error: string } | undefined;
    if (failed) throw new Error(failed.error);
    if (!(await this.present(image))) throw new Error(`the engine pulled ${image.ref} but the image does not carry ${image.digest}`);
  }
}

import { readFile } from 'node:fs/promises';
import type Docker from 'dockerode';

/**
 * The base image of the stage a Dockerfile build ends with (`target`, else the last), followed
 * through stages that build on earlier ones, and its digest as the engine knows it: the registry
 * digest it was pulled by, else its image id. Undefined for `scratch` or a FROM built from ARGs,
 * which cannot be named before the build.
 */
export async function dockerfileBase(docker: Docker, dockerfile: string, target: string | undefined): Promise<{ ref: string; digest: string } | undefined> {
  const ref = finalBaseRef(await readFile(dockerfile, 'utf8'), target);
  if (ref === undefined) return undefined;
  const image = await docker.getImage(ref).inspect().catch(() => undefined);
  if (image === undefined) return undefined;
  const at = ref.indexOf('@');
  const name = at >= 0 ? ref.slice(0, at) : ref.replace(/:[^/:]+$/, '');
  const pulled = image.RepoDigests.find((d) => d.startsWith(`${name}@`)) ?? image.RepoDigests[0];
  return { ref, digest: pulled?.slice(pulled.indexOf('@') + 1) ?? image.Id };
}

/** The image the built stage stands on, through stages built on earlier ones; undefined for scratch or an ARG. */
export function finalBaseRef(text: string, target: string | undefined): string | undefined {
  const stages = parseStages(text);
  let stage = target === undefined ? stages.at(-1) : stages.find((s) => s.name === target.toLowerCase());
  for (let hops = 0; stage !== undefined && hops < stages.length; hops++) {
    const from = stage.from.toLowerCase();
    const earlier = stages.find((s) => s.name === from);
    if (earlier === undefined) break;
    stage = earlier;
  }
  const ref = stage?.from;
  return ref === undefined || ref === 'scratch' || ref.includes('$') ? undefined : ref;
}

interface Stage {
  readonly from: string;
  readonly name: string | undefined;
}

/** FROM lines (after joining `\` continuations): `FROM [--platform=…] image [AS name]`. */
export function parseStages(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const line of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const words = line.trim().split(/\s+/);
    if (words[0]?.toUpperCase() !== 'FROM') continue;
    const rest = words.slice(1).filter((w) => !w.startsWith('--'));
    const from = rest[0];
    if (from === undefined) continue;
    stages.push({ from, name: rest[1]?.toUpperCase() === 'AS' ? rest[2]?.toLowerCase() : undefined });
  }
  return stages;
}

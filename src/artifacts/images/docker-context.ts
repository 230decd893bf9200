import { lstat, readdir } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ImageError } from './image-error.js';

/**
 * Every file and link of a build context, as paths relative to it. dockerode packs exactly these,
 * after filtering them through the context's .dockerignore (the engine's own rules, by
 * @balena/dockerignore), so an ignored folder such as node_modules is never sent.
 */
export async function contextFiles(context: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    for (const name of (await readdir(join(context, folder))).sort()) {
      const path = folder === '' ? name : `${folder}/${name}`;
      const info = await lstat(join(context, path));
      if (info.isDirectory()) await walk(path);
      else found.push(path);
    }
  };
  await walk('');
  return found;
}

/** The context folder and the Dockerfile inside it, checked before the engine is asked. */
export async function checkBuildInput(context: string, dockerfile: string): Promise<{ context: string; dockerfile: string }> {
  const root = resolve(context);
  if (!(await isFolder(root))) throw inputError(`the build context ${context} is not a folder`, context, 'Point image.context at a folder of the service (default: the service folder).');
  const file = isAbsolute(dockerfile) ? dockerfile : join(root, dockerfile);
  const inside = relative(root, file);
  if (inside.startsWith('..') || isAbsolute(inside)) throw inputError(`the Dockerfile ${dockerfile} is outside the build context ${context}`, dockerfile, 'Keep the Dockerfile inside the context folder: the engine reads it from the context it is sent.');
  if (!(await isFile(file))) throw inputError(`there is no Dockerfile at ${file}`, file, 'Check image.dockerfile (relative to the service folder).');
  return { context: root, dockerfile: inside.split(sep).join('/') };
}

async function isFolder(path: string): Promise<boolean> {
  return lstat(path).then((s) => s.isDirectory(), () => false);
}

async function isFile(path: string): Promise<boolean> {
  return lstat(path).then((s) => s.isFile(), () => false);
}

function inputError(message: string, where: string, hint: string): ImageError {
  return new ImageError('IMAGE_INPUT_INVALID', message, { where, hint });
}

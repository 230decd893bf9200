import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Folder, Recognised } from './detected-service.js';
import { readText } from './folder-files.js';

/** A main package that serves HTTP (a net/http server, or a router built for it), not one that only calls out. */
const SERVES_HTTP = /ListenAndServe|http\.Server\b|"github\.com\/(gin-gonic\/gin|labstack\/echo(\/v\d+)?|gofiber\/fiber(\/v\d+)?|go-chi\/chi(\/v\d+)?|gorilla\/mux)"/;
const MAIN = /^package main\b/m;

/** The main package to build: the module root, else `cmd/<one>` when there is exactly one. */
async function mainPackage(folder: Folder): Promise<{ pkg: string; source: string } | undefined> {
  const root = await readText(folder.dir, 'main.go');
  if (MAIN.test(root)) return { pkg: '.', source: root };
  if (!folder.folders.has('cmd')) return undefined;
  const commands = (await readdir(join(folder.dir, 'cmd'), { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory());
  if (commands.length !== 1 || commands[0] === undefined) return undefined;
  const source = await readText(join(folder.dir, 'cmd', commands[0].name), 'main.go');
  return MAIN.test(source) ? { pkg: `./cmd/${commands[0].name}`, source } : undefined;
}

/**
 * A go.mod folder: `go vet` and `go test` as gates. It deploys when its one main package serves HTTP:
 * built into bin/ (the artifact), started from there.
 */
export async function goService(folder: Folder): Promise<Recognised> {
  if (!folder.files.has('go.mod')) return undefined;
  const base = { path: folder.path, kind: 'go' as const, gates: [{ name: 'vet', run: 'go vet ./...' }, { name: 'test', run: 'go test ./...' }] };
  const main = await mainPackage(folder);
  if (main === undefined || !SERVES_HTTP.test(main.source)) return { ...base, run: undefined };
  return {
    ...base,
    build: { run: `CGO_ENABLED=0 go build -o bin/server ${main.pkg}`, output: 'bin' },
    run: './server',
    notes: ['A Go HTTP server: take the port from os.Getenv("PORT"), and serve /healthz or change health.path.'],
  };
}

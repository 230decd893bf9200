/**
 * The slice of GitHub Actions' workflow syntax the export writes, as plain data: the builders stay
 * pure and the renderer turns it into YAML. Key names are GitHub's own (`runs-on`, `timeout-minutes`).
 */
export interface Step {
  readonly name: string;
  readonly id?: string;
  readonly if?: string;
  readonly uses?: string;
  readonly with?: Readonly<Record<string, string | number | boolean>>;
  readonly run?: string;
  readonly 'working-directory'?: string;
  readonly shell?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly 'timeout-minutes'?: number;
}

export interface Job {
  readonly name?: string;
  readonly needs?: readonly string[];
  readonly if?: string;
  readonly 'runs-on': string;
  readonly environment?: { readonly name: string };
  readonly permissions?: Readonly<Record<string, 'read' | 'write'>>;
  readonly outputs?: Readonly<Record<string, string>>;
  readonly 'timeout-minutes'?: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly defaults?: { readonly run: { readonly shell?: string; readonly 'working-directory'?: string } };
  readonly steps: readonly Step[];
}

export interface Workflow {
  readonly name: string;
  readonly on: Readonly<Record<string, unknown>>;
  readonly permissions: Readonly<Record<string, 'read' | 'write'>>;
  readonly concurrency?: { readonly group: string; readonly 'cancel-in-progress': boolean };
  readonly env?: Readonly<Record<string, string>>;
  readonly jobs: Readonly<Record<string, Job>>;
}

/** A workflow file as the export writes it: its name under --out, the workflow, and comments for people. */
export interface WorkflowFile {
  readonly file: string;
  /** Lines of the comment at the top of the file (without `# `). */
  readonly header: readonly string[];
  readonly workflow: Workflow;
  /** Comments put before a job's key, by job id. */
  readonly jobComments?: Readonly<Record<string, readonly string[]>>;
}

export const RUNNER = 'ubuntu-latest';
export const CHECKOUT = 'actions/checkout@v4';
export const UPLOAD_ARTIFACT = 'actions/upload-artifact@v4';
export const PATHS_FILTER = 'dorny/paths-filter@v3';

/** Gantry runs commands with /bin/sh, so the workflows do too (GitHub's `sh` is `sh -e {0}`). */
export const SHELL = 'sh';

/** GitHub counts step and job timeouts in whole minutes. */
export const minutes = (ms: number): number => Math.max(1, Math.ceil(ms / 60_000));

export const secretRef = (name: string): string => `\${{ secrets.${name} }}`;

/** `nest-api` → `NEST_API_URL`: the GitHub environment variable that holds where the service is reached. */
export const urlVariable = (service: string): string => `${service.toUpperCase().replaceAll('-', '_')}_URL`;

/** A value in single quotes for /bin/sh: nothing inside is expanded. */
export const shellQuote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

/** The service's secrets as `${{ secrets.NAME }}` env, then its plain env: what a Gantry gate or revision gets. */
export function envOf(secrets: readonly string[], plain: Readonly<Record<string, string>>): Record<string, string> | undefined {
  const env: Record<string, string> = { ...plain };
  for (const name of secrets) env[name] = secretRef(name);
  return Object.keys(env).length === 0 ? undefined : env;
}

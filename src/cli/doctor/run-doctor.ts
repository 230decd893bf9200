import { existsSync } from 'node:fs';
import { loadConfigFile } from '../../config/loader.js';
import type { GantryConfig } from '../../config/types.js';
import type { Connection } from '../context.js';
import { fail, ok, warn, type Check } from './check.js';
import { keyModeChecks } from './file-checks.js';
import { portChecks } from './port-checks.js';
import { serverChecks } from './server-checks.js';
import { gitCheck, nodeCheck, signingToolChecks } from './tool-checks.js';

export interface DoctorInput {
  readonly configFile: string;
  readonly dataDir: string;
  readonly credentialsFile: string;
  /** The server and token chosen as every command chooses them; an error when that choice itself fails (a bad saved login). */
  readonly connection: Connection | Error;
}

async function configCheck(file: string): Promise<{ check: Check; config: GantryConfig | undefined }> {
  if (!existsSync(file)) return { check: warn('gantry.yaml', `${file} not found here or up to the repository root`, 'Run `gantry init` at the repository root, or pass --config.'), config: undefined };
  const result = await loadConfigFile(file);
  if (result.ok) return { check: ok('gantry.yaml', `${file} is valid`), config: result.config };
  const [first] = result.errors;
  const where = first ? `${first.file}:${first.line}:${first.col} ${first.message}` : 'invalid';
  return { check: fail('gantry.yaml', `${file}: ${result.errors.length} problem${result.errors.length === 1 ? '' : 's'}, first ${where}`, `Run \`gantry validate${file === 'gantry.yaml' ? '' : ` --config ${file}`}\` for every problem with its fix.`), config: undefined };
}

/** Every check in a fixed order: this machine's tools, the key files, the config, the server and its agents, then the ports. */
export async function runDoctor(input: DoctorInput): Promise<Check[]> {
  const [{ check: configResult, config }, git] = await Promise.all([configCheck(input.configFile), gitCheck()]);
  const signedCommits = config ? Object.values(config.branches).some((b) => b.protection.signedCommits) : false;
  const checks: Check[] = [nodeCheck(), git, ...(await signingToolChecks(signedCommits)), ...keyModeChecks(input.dataDir, input.credentialsFile), configResult];
  if (input.connection instanceof Error) {
    checks.push(fail('server', input.connection.message, 'Fix the address or token named above (`gantry logout` removes a broken saved login).'));
    return [...checks, ...(await portChecks('http://unused.invalid', false, config, undefined))];
  }
  const server = await serverChecks(input.connection);
  const serverOk = server.checks[0]?.status === 'ok';
  return [...checks, ...server.checks, ...(await portChecks(input.connection.server, serverOk, config, server.agents))];
}

import type { Command } from 'commander';
import { GantryError, isGantryError, UsageError } from '../../errors/index.js';
import { ApiClient } from '../client.js';
import { credentialsFile, removeLogin, saveLogin } from '../credentials.js';
import type { Wrap } from '../program.js';
import { readHidden, readStdin } from '../prompt.js';

function httpUrl(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UsageError('USAGE', `${JSON.stringify(text)} is not an http(s) URL`, { hint: 'Pass the address `gantry server` prints, e.g. `gantry login http://127.0.0.1:7400`.' });
  }
  return text.replace(/\/+$/, '');
}

export function registerLogin(program: Command, wrap: Wrap): void {
  program
    .command('login <url>')
    .description('check a token against a server and save both (mode 0600) for later commands; the token from --token, stdin or a hidden prompt')
    .action(
      wrap(async (ctx, url: string) => {
        const server = httpUrl(url);
        // --token (or GANTRY_TOKEN), else stdin, else a prompt: never asked for on the command line by us.
        const token = ctx.options.token ?? (process.stdin.isTTY ? await readHidden(`token for ${server} (not shown): `, 'cancelled: nothing was saved') : await readStdin());
        if (token === '' || !/^[\x21-\x7e]+$/.test(token)) {
          throw new UsageError('USAGE', token === '' ? 'no token given' : 'the token contains a space, a line break or a character that is not printable ASCII', {
            hint: 'Pass it with --token, pipe it in (`gantry login URL < token-file`), or type it at the prompt on a terminal.',
          });
        }
        let who: { user: string | null; roles: string[] };
        try {
          who = await new ApiClient(server, token).request<{ user: string | null; roles: string[] }>('GET', '/api/v1/whoami');
        } catch (error: unknown) {
          if (!isGantryError(error) || error.code === 'SERVER_UNREACHABLE' || error.code === 'SERVER_NOT_GANTRY') throw error;
          throw new GantryError(error.code, `${server} refused the token (${error.message}); nothing was saved`, { cause: error, hint: 'Check the token (`gantry token list` on the server shows which are active), or make one with `gantry token create`.' });
        }
        const file = credentialsFile();
        saveLogin({ server, token, user: who.user, savedAt: new Date().toISOString() }, file);
        if (ctx.out.json) ctx.out.printJson({ server, user: who.user, roles: who.roles, file });
        else ctx.out.out(`logged in to ${server} as ${who.user ?? 'unknown'} (${who.roles.join(', ') || 'no roles'}); saved in ${file}`);
        return 0;
      }),
    );
  program
    .command('logout')
    .description('remove the saved login')
    .action(
      wrap(async (ctx) => {
        const file = credentialsFile();
        const removed = removeLogin(file);
        if (ctx.out.json) ctx.out.printJson({ removed, file });
        else ctx.out.out(removed ? `removed the saved login (${file})` : `no saved login (${file})`);
        return 0;
      }),
    );
}

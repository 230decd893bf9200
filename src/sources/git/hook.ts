import { chmod, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** A word the shell takes literally inside single quotes (a path or token with a quote in it stays one word). */
const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * The post-receive hook a self-hosted bare repository runs after every push: it tells the server
 * to look at the branch heads now instead of at its next poll. It never fails the push.
 * With `addressFile` (the `server.json` a server rewrites in its data dir at every start), the hook
 * reads the server's current address from it at each push, so a server restarted on another port
 * (`--port 0`) is still found; `serverUrl` is used when that file cannot be read (another user's
 * data dir, or no server started yet).
 */
export function postReceiveHook(serverUrl: string, token: string, addressFile?: string): string {
  const base = serverUrl.replace(/\/+$/, '');
  const current = addressFile
    ? `GANTRY_ADDRESS_FILE=${shellQuote(addressFile)}
if [ -r "$GANTRY_ADDRESS_FILE" ]; then
  GANTRY_CURRENT=$(sed -n 's/^ *"url": *"\\([^"]*\\)".*$/\\1/p' "$GANTRY_ADDRESS_FILE" 2>/dev/null | head -n 1)
  [ -n "$GANTRY_CURRENT" ] && GANTRY_URL="\${GANTRY_CURRENT%/}/api/v1/sources/notify"
fi
`
    : '';
  return `#!/bin/sh
# Installed by \`gantry hook post-receive\`: tells Gantry about new commits right away.
# A failure here never rejects the push; Gantry's polling picks the change up anyway.
cat >/dev/null
GANTRY_URL=${shellQuote(`${base}/api/v1/sources/notify`)}
${current}GANTRY_HOOK_TOKEN=${shellQuote(token)}
if command -v curl >/dev/null 2>&1; then
  curl -fsS -m 5 -X POST -H "Authorization: Bearer $GANTRY_HOOK_TOKEN" "$GANTRY_URL" >/dev/null 2>&1 || true
else
  GANTRY_URL="$GANTRY_URL" GANTRY_HOOK_TOKEN="$GANTRY_HOOK_TOKEN" node -e "fetch(process.env.GANTRY_URL,{method:'POST',headers:{authorization:'Bearer '+process.env.GANTRY_HOOK_TOKEN},signal:AbortSignal.timeout(5000)}).catch(()=>{})" || true
fi
exit 0
`;
}

export async function installPostReceiveHook(bareRepo: string, serverUrl: string, token: string, addressFile?: string): Promise<string> {
  const file = join(bareRepo, 'hooks', 'post-receive');
  await writeFile(file, postReceiveHook(serverUrl, token, addressFile === undefined ? undefined : resolve(addressFile)), { mode: 0o700 });
  await chmod(file, 0o700);
  return file;
}

/**
 * The pre-receive hook: for each ref update it reads the facts Gantry's branch protection needs
 * from the bare repository (the pushed objects are only visible to the hook's own git commands
 * while git holds them in quarantine): whether the update is forced, the parents of the new head,
 * which merged parents contain the old head (`upToDate`) and the raw commit objects old..new for
 * signature checks. It asks the server
 * (POST /api/v1/sources/check-push) and refuses the whole push, exit 1 with the reason on stderr
 * (the pusher sees `remote: gantry: …`), if any update is refused. It fails closed: when the
 * server cannot answer, the push is refused too, since protection that a down server lifts is none.
 * With `addressFile` it asks the address a server last wrote there, as the post-receive hook does.
 */
export function preReceiveHook(serverUrl: string, token: string, addressFile?: string): string {
  return `#!/bin/sh
# Installed by \`gantry hook install\`: checks every push against gantry.yaml branch protection.
GANTRY_HOOK_SCRIPT=$(cat <<'GANTRY_EOF'
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
const ADDRESS_FILE = ${JSON.stringify(addressFile ?? null)};
function serverBase() {
  try {
    const url = ADDRESS_FILE && JSON.parse(readFileSync(ADDRESS_FILE, 'utf8')).url;
    if (typeof url === 'string' && url !== '') return url;
  } catch {}
  return ${JSON.stringify(serverUrl)};
}
const URL = serverBase().replace(/\\/+$/, '') + '/api/v1/sources/check-push';
const TOKEN = ${JSON.stringify(token)};
const ZERO = '0'.repeat(40);
const git = (args, input) => execFileSync('git', args, { maxBuffer: 1 << 30, ...(input === undefined ? {} : { input }) });
const text = (args) => git(args).toString('utf8').trim();
const isAncestor = (a, b) => { try { execFileSync('git', ['merge-base', '--is-ancestor', a, b], { stdio: 'ignore' }); return true; } catch { return false; } };
function rawCommits(shas) {
  if (shas.length === 0) return [];
  const out = git(['cat-file', '--batch'], shas.join('\\n') + '\\n');
  const commits = [];
  let at = 0;
  while (at < out.length) {
    const eol = out.indexOf(10, at);
    const [sha, , size] = out.subarray(at, eol).toString('utf8').split(' ');
    const raw = out.subarray(eol + 1, eol + 1 + Number(size));
    commits.push({ sha, raw: raw.toString('base64') });
    at = eol + 1 + Number(size) + 1;
  }
  return commits;
}
let input = '';
for await (const chunk of process.stdin) input += chunk;
let refused = false;
for (const line of input.split('\\n').filter(Boolean)) {
  const [old, next, ref] = line.split(' ');
  const body = { ref, old, new: next };
  if (next !== ZERO) {
    body.forced = old !== ZERO && !isAncestor(old, next);
    body.parents = text(['rev-list', '--parents', '-n1', next]).split(' ').slice(1);
    body.containsOld = old === ZERO ? [] : body.parents.slice(1).filter((p) => isAncestor(old, p));
    const range = old === ZERO ? [next, '--not', '--all'] : [old + '..' + next];
    body.commits = rawCommits(text(['rev-list', ...range]).split('\\n').filter(Boolean));
  }
  try {
    const res = await fetch(URL, { method: 'POST', headers: { authorization: 'Bearer ' + TOKEN, 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(30000) });
    const answer = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(answer.message ?? 'HTTP ' + res.status);
    if (!answer.allowed) {
      process.stderr.write('gantry: push to ' + ref + ' refused: ' + answer.reason + '\\n');
      refused = true;
    }
  } catch (error) {
    process.stderr.write('gantry: push to ' + ref + ' refused: cannot check it against branch protection (' + (error?.message ?? error) + ')\\n');
    refused = true;
  }
}
process.exit(refused ? 1 : 0);
GANTRY_EOF
)
exec node --input-type=module -e "$GANTRY_HOOK_SCRIPT"
`;
}

/** Writes the pre-receive (protection) and post-receive (notify) hooks into a bare repository. */
export async function installHooks(bareRepo: string, serverUrl: string, token: string, addressFile?: string): Promise<string[]> {
  const file = join(bareRepo, 'hooks', 'pre-receive');
  await writeFile(file, preReceiveHook(serverUrl, token, addressFile === undefined ? undefined : resolve(addressFile)), { mode: 0o700 });
  await chmod(file, 0o700);
  return [file, await installPostReceiveHook(bareRepo, serverUrl, token, addressFile)];
}

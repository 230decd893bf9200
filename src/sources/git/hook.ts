import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The post-receive hook a self-hosted bare repository runs after every push: it tells the server
 * to look at the branch heads now instead of at its next poll. It never fails the push.
 */
export function postReceiveHook(serverUrl: string, token: string): string {
  const url = `${serverUrl.replace(/\/+$/, '')}/api/v1/sources/notify`;
  return `#!/bin/sh
# Installed by \`gantry hook post-receive\`: tells Gantry about new commits right away.
# A failure here never rejects the push; Gantry's polling picks the change up anyway.
cat >/dev/null
GANTRY_URL='${url}'
GANTRY_HOOK_TOKEN='${token}'
if command -v curl >/dev/null 2>&1; then
  curl -fsS -m 5 -X POST -H "Authorization: Bearer $GANTRY_HOOK_TOKEN" "$GANTRY_URL" >/dev/null 2>&1 || true
else
  GANTRY_URL="$GANTRY_URL" GANTRY_HOOK_TOKEN="$GANTRY_HOOK_TOKEN" node -e "fetch(process.env.GANTRY_URL,{method:'POST',headers:{authorization:'Bearer '+process.env.GANTRY_HOOK_TOKEN},signal:AbortSignal.timeout(5000)}).catch(()=>{})" || true
fi
exit 0
`;
}

export async function installPostReceiveHook(bareRepo: string, serverUrl: string, token: string): Promise<string> {
  const file = join(bareRepo, 'hooks', 'post-receive');
  await writeFile(file, postReceiveHook(serverUrl, token), { mode: 0o700 });
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
 */
export function preReceiveHook(serverUrl: string, token: string): string {
  const url = `${serverUrl.replace(/\/+$/, '')}/api/v1/sources/check-push`;
  return `#!/bin/sh
# Installed by \`gantry hook install\`: checks every push against gantry.yaml branch protection.
GANTRY_HOOK_SCRIPT=$(cat <<'GANTRY_EOF'
import { execFileSync } from 'node:child_process';
const URL = ${JSON.stringify(url)};
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
export async function installHooks(bareRepo: string, serverUrl: string, token: string): Promise<string[]> {
  const file = join(bareRepo, 'hooks', 'pre-receive');
  await writeFile(file, preReceiveHook(serverUrl, token), { mode: 0o700 });
  await chmod(file, 0o700);
  return [file, await installPostReceiveHook(bareRepo, serverUrl, token)];
}

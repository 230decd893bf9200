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

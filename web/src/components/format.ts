/** How times, durations and hashes read on every page. */

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = s / 60;
  if (m < 60) return `${Math.floor(m)} min ${Math.round(s % 60)} s`;
  const h = m / 60;
  if (h < 48) return `${h.toFixed(1)} h`;
  return `${(h / 24).toFixed(1)} d`;
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '–';
  const ms = now - Date.parse(iso);
  if (ms < 5_000) return 'just now';
  return `${duration(ms)} ago`;
}

export const shortSha = (sha: string | null | undefined): string => (sha ? sha.slice(0, 7) : '–');
export const shortDigest = (digest: string | null | undefined): string => (digest ? digest.replace(/^sha256:/, '').slice(0, 12) : '–');
export const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '–');
export const percent = (rate: number | null | undefined): string => (rate === null || rate === undefined ? '–' : `${(rate * 100).toFixed(rate < 0.1 ? 1 : 0)} %`);

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  ki: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
};

/**
 * A memory size as gantry.yaml takes it, in bytes: a number of bytes, or a number with a unit.
 * `m`, `g` (Docker's `--memory 256m`) and `Mi`, `Gi` (Kubernetes) are powers of 1024; `MB`, `GB` are
 * powers of 1000. The schema has already checked the shape.
 */
export function parseMemorySize(size: number | string): number {
  if (typeof size === 'number') return size;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(size.trim());
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()];
  if (!match?.[1] || unit === undefined) throw new Error(`"${size}" is not a memory size`);
  return Math.round(Number(match[1]) * unit);
}

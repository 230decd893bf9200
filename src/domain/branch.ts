/** Branch patterns as in gantry.yaml: `*` matches within one path segment, `**` across segments. */
export function branchMatches(pattern: string, branch: string): boolean {
  if (!pattern.includes('*')) return pattern === branch;
  const source = pattern
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(branch);
}

/** Which changed paths touch which service. Pure; the reader supplies the changed file list. */
export function servicesTouched(
  files: readonly string[],
  services: ReadonlyArray<{ readonly name: string; readonly path: string; readonly watch: readonly string[] }>,
  sharedPaths: readonly string[],
): string[] {
  const under = (file: string, root: string): boolean => file === root || file.startsWith(`${root.replace(/\/+$/, '')}/`);
  if (files.some((f) => sharedPaths.some((p) => under(f, p)))) return services.map((s) => s.name);
  return services.filter((s) => files.some((f) => under(f, s.path) || s.watch.some((w) => under(f, w)))).map((s) => s.name);
}

import { UsageError } from '../../errors/index.js';

export function parseRunId(text: string): number {
  const id = Number(text.replace(/^#/, ''));
  if (!Number.isInteger(id) || id <= 0) throw new UsageError('USAGE', `"${text}" is not a run id`, { hint: 'Run ids are whole numbers, as listed by `gantry runs`.' });
  return id;
}

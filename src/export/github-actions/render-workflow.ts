import { Document, isMap, isScalar } from 'yaml';
import type { WorkflowFile } from './workflow.js';

/** `${{ … }}` and the like are kept verbatim; long commands stay on their lines. */
const OPTIONS = { lineWidth: 0, blockQuote: 'literal', aliasDuplicateObjects: false, nullStr: '' } as const;

const comment = (lines: readonly string[]): string => lines.map((l) => ` ${l}`).join('\n');

/** The workflow as YAML, its header and job comments in place. */
export function renderWorkflow(file: WorkflowFile): string {
  const doc = new Document(file.workflow, OPTIONS);
  doc.commentBefore = comment(file.header);
  const jobs = doc.get('jobs', true);
  if (isMap(jobs)) {
    for (const pair of jobs.items) {
      const id = isScalar(pair.key) ? String(pair.key.value) : undefined;
      const lines = id === undefined ? undefined : file.jobComments?.[id];
      if (lines && isScalar(pair.key)) pair.key.commentBefore = comment(lines);
    }
  }
  return doc.toString(OPTIONS);
}

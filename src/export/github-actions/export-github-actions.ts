import type { GantryConfig } from '../../config/types.js';
import { ciWorkflow } from './ci-workflow.js';
import { deployWorkflow } from './deploy-workflow.js';
import { renderWorkflow } from './render-workflow.js';

export interface ExportedFile {
  /** The file's name, relative to the output folder. */
  readonly file: string;
  readonly text: string;
}

/** The guide's workflows from gantry.yaml: the comprehensive CI, then one deployment workflow per environment in file order. */
export function githubActionsWorkflows(config: GantryConfig): ExportedFile[] {
  const files = [ciWorkflow(config), ...Object.values(config.environments).map((env) => deployWorkflow(config, env))];
  return files.map((f) => ({ file: f.file, text: renderWorkflow(f) }));
}

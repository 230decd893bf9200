import type { DetectedGate, Folder, Recognised } from './detected-service.js';
import { nearest, readText } from './folder-files.js';

/** How to install a project exactly and run one of its tools, by what manages it. */
interface PythonTool {
  readonly install: string;
  tool(command: string): string;
}

/** The lines of one TOML table, up to the next table header: enough to see which extras exist. */
function table(toml: string, name: string): string {
  const start = toml.indexOf(`[${name}]`);
  if (start < 0) return '';
  const rest = toml.slice(start + name.length + 2);
  const next = rest.search(/^\[/m);
  return next < 0 ? rest : rest.slice(0, next);
}

function pythonTool(folder: Folder, pyproject: string): PythonTool {
  if (nearest(folder, ['uv.lock'], true)) return { install: 'uv sync --frozen', tool: (c) => `uv run ${c}` };
  if (folder.files.has('poetry.lock') || pyproject.includes('[tool.poetry]')) return { install: 'poetry install --no-interaction', tool: (c) => `poetry run ${c}` };
  // Plain pip, in a virtualenv of the checkout so that nothing is installed for the whole machine.
  const extra = ['test', 'dev'].find((e) => new RegExp(`^\\s*${e}\\s*=`, 'm').test(table(pyproject, 'project.optional-dependencies')));
  const steps = ['python3 -m venv .venv', `.venv/bin/pip install -e '.${extra ? `[${extra}]` : ''}'`];
  for (const file of ['requirements.txt', 'requirements-dev.txt']) if (folder.files.has(file)) steps.push(`.venv/bin/pip install -r ${file}`);
  return { install: steps.join(' && '), tool: (c) => `.venv/bin/${c}` };
}

/**
 * A pyproject.toml folder: install, then ruff and pytest when the project uses them, as gates. It runs
 * CI only: a Python service starts in too many ways (uvicorn, gunicorn, `python -m` …) to guess which.
 */
export async function pythonService(folder: Folder): Promise<Recognised> {
  if (!folder.files.has('pyproject.toml')) return undefined;
  const pyproject = await readText(folder.dir, 'pyproject.toml');
  const requirements = (await readText(folder.dir, 'requirements.txt')) + (await readText(folder.dir, 'requirements-dev.txt'));
  const uses = (tool: string): boolean => new RegExp(`\\b${tool}\\b`).test(pyproject + requirements);
  const py = pythonTool(folder, pyproject);
  const gates: DetectedGate[] = [{ name: 'install', run: py.install }];
  if (uses('ruff')) gates.push({ name: 'lint', run: py.tool('ruff check .') });
  if (uses('pytest')) gates.push({ name: 'test', run: py.tool('pytest') });
  return {
    path: folder.path,
    kind: 'python',
    gates,
    run: undefined,
    notes: ['Python apps start in many ways (uvicorn, gunicorn, python -m …): say which, listening on $PORT.'],
  };
}

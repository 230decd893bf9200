/**
 * The smallest useful gantry.yaml: one service with one gate, and a dev environment on develop.
 * `more` is appended as it is: further environments (indented under `environments:`) or top-level keys.
 */
export function lintOnlyConfig(project: string, more = ''): string {
  return `version: 1
project:
  name: ${project}
repository:
  url: .
  defaultBranch: develop
services:
  api:
    path: api
    gates:
      - name: lint
        run: echo linted
environments:
  dev:
    branch: develop
${more}`;
}

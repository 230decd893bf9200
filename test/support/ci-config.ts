/** The smallest useful gantry.yaml: one service with one gate, and a dev environment on develop. */
export function lintOnlyConfig(project: string): string {
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
`;
}

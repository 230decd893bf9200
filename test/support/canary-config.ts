/** The canary environment the canary tests and bench/canary.ts deploy: 10 % → analysis → 50 % → a pause until promoted. */
export function canaryConfig(port: number, routerYaml: string): string {
  return `version: 1
project:
  name: canary
repository:
  url: .
  defaultBranch: main
services:
  api:
    path: api
    build:
      run: mkdir -p out && cp server.mjs version out/ && (cp mode out/ 2>/dev/null || true)
      output: out
    run:
      command: node server.mjs
      port: ${port}
    replicas: 2
    # The default probe interval (1s), as a service would have it: how long a canary takes to start
    # is part of the canary's life that the failed share is measured over.
    health:
      path: /healthz
      deadline: 10s
environments:
  prod:
    branch: main
${routerYaml}    strategy:
      kind: canary
      match: { header: x-canary, value: always }
      scaleDownDelay: 100ms
      steps:
        - setWeight: 10
        - analysis:
            metrics:
              - name: canary-errors
                provider: router
                query: error-rate
                interval: 50ms
                count: 6
                successCondition: result < 0.05
                inconclusiveLimit: 5
        - setWeight: 50
        - pause: {}
    verify:
      - kind: health
`;
}

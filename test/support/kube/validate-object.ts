import { isDeepStrictEqual } from 'node:util';
import { Deployment, ReplicaSet } from 'kubernetes-models/apps/v1';
import { ConfigMap, Endpoints, Event, Namespace, Pod, Secret, Service } from 'kubernetes-models/v1';
import type { KubeObject, Resource } from './cluster-state.js';
import { RESOURCES } from './cluster-state.js';
import { ApiError, type StatusCause } from './api-status.js';
import { isMap } from './api-field-set.js';

/** The official OpenAPI validators (kubernetes-models is generated from the Kubernetes OpenAPI spec). */
const MODELS: Record<Resource, new (data: never) => { validate(): void }> = {
  namespaces: Namespace,
  pods: Pod,
  services: Service,
  configmaps: ConfigMap,
  secrets: Secret,
  events: Event,
  endpoints: Endpoints,
  deployments: Deployment,
  replicasets: ReplicaSet,
};

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

interface SchemaError {
  instancePath?: string;
  keyword?: string;
  message?: string;
}

/** `/spec/template/spec/containers/0/image` → `spec.template.spec.containers[0].image`, as the real server names fields. */
export function fieldName(instancePath: string): string {
  return instancePath
    .split('/')
    .filter(Boolean)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('')
    .replace(/^\./, '');
}

function schemaCauses(resource: Resource, object: KubeObject): StatusCause[] {
  try {
    new MODELS[resource](object as never).validate();
    return [];
  } catch (error: unknown) {
    const errors = (error as { errors?: SchemaError[] }).errors ?? [{ instancePath: '', message: String(error) }];
    const byField = new Map<string, StatusCause>();
    for (const e of errors) {
      const field = fieldName(e.instancePath ?? '');
      // A oneOf (quantity: string or number) reports every branch; keep the most telling one.
      if (byField.has(field) && e.keyword !== 'format') continue;
      byField.set(field, { reason: 'FieldValueInvalid', message: `Invalid value: ${e.message ?? 'invalid'}`, field });
    }
    return [...byField.values()];
  }
}

function ruleCauses(resource: Resource, object: KubeObject, previous: KubeObject | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = object.metadata?.name;
  const pattern = resource === 'services' || resource === 'namespaces' ? DNS_LABEL : DNS_SUBDOMAIN;
  if (typeof name !== 'string' || name === '') causes.push({ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' });
  else if (!pattern.test(name) || name.length > (pattern === DNS_LABEL ? 63 : 253)) {
    causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: "${name}": a lowercase RFC 1123 ${pattern === DNS_LABEL ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.'`, field: 'metadata.name' });
  }
  const spec = isMap(object.spec) ? object.spec : {};
  const oldSpec = previous && isMap(previous.spec) ? previous.spec : undefined;
  if (resource === 'deployments' || resource === 'replicasets') {
    const wanted = isMap(spec.selector) && isMap(spec.selector.matchLabels) ? spec.selector.matchLabels : {};
    const template = isMap(spec.template) && isMap(spec.template.metadata) && isMap(spec.template.metadata.labels) ? spec.template.metadata.labels : {};
    if (Object.keys(wanted).length === 0) causes.push({ reason: 'FieldValueRequired', message: 'Required value: empty selector is invalid for deployment', field: 'spec.selector' });
    else if (!Object.entries(wanted).every(([k, v]) => template[k] === v)) {
      causes.push({ reason: 'FieldValueInvalid', message: 'Invalid value: `selector` does not match template `labels`', field: 'spec.template.metadata.labels' });
    }
    if (oldSpec && !isDeepStrictEqual(oldSpec.selector, spec.selector)) causes.push({ reason: 'FieldValueInvalid', message: 'Invalid value: field is immutable', field: 'spec.selector' });
  }
  if (resource === 'services' && oldSpec?.clusterIP !== undefined && spec.clusterIP !== oldSpec.clusterIP) {
    causes.push({ reason: 'FieldValueInvalid', message: 'Invalid value: field is immutable', field: 'spec.clusterIP' });
  }
  return causes;
}

/**
 * Refuses (422 Invalid, every problem as a cause naming its field) an object the real API server
 * would refuse: the OpenAPI schema, then what the schema cannot say (DNS-1123 names, a selector
 * that matches its template, immutable fields against `previous`).
 */
export function validateObject(resource: Resource, object: KubeObject, previous?: KubeObject): void {
  const causes = [...schemaCauses(resource, object), ...ruleCauses(resource, object, previous)];
  if (causes.length === 0) return;
  const kind = RESOURCES[resource].kind;
  const summary = causes.map((c) => `${c.field ?? ''}: ${c.message}`).join(', ');
  throw new ApiError('Invalid', `${kind} "${String(object.metadata?.name ?? '')}" is invalid: ${summary}`, { name: String(object.metadata?.name ?? ''), kind, causes });
}

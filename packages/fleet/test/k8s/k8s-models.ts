// The Kubernetes API's own schemas (kubernetes-models, generated from the published
// OpenAPI document) for every kind `mcp-fleet k8s` emits, made strict: the schemas
// accept any extra field (as the API server does, dropping it with a mere warning), so
// a misspelt field (`publishNotReadyAddress`) would pass unnoticed. The compiled
// validator reads exactly the fields its schema knows: a field it never reads is unknown.
import { validate as statefulSet } from 'kubernetes-models/_schemas/IoK8sApiAppsV1StatefulSet';
import { validate as deployment } from 'kubernetes-models/_schemas/IoK8sApiAppsV1Deployment';
import { validate as networkPolicy } from 'kubernetes-models/_schemas/IoK8sApiNetworkingV1NetworkPolicy';
import { validate as disruptionBudget } from 'kubernetes-models/_schemas/IoK8sApiPolicyV1PodDisruptionBudget';
import { validate as configMap } from 'kubernetes-models/_schemas/IoK8sApiCoreV1ConfigMap';
import { validate as namespace } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Namespace';
import { validate as volumeClaim } from 'kubernetes-models/_schemas/IoK8sApiCoreV1PersistentVolumeClaim';
import { validate as service } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Service';

type Validator = ((data: unknown) => boolean) & { errors?: unknown };
const SCHEMAS: Record<string, Validator> = {
  'apps/v1/StatefulSet': statefulSet,
  'apps/v1/Deployment': deployment,
  'networking.k8s.io/v1/NetworkPolicy': networkPolicy,
  'policy/v1/PodDisruptionBudget': disruptionBudget,
  'v1/ConfigMap': configMap,
  'v1/Namespace': namespace,
  'v1/PersistentVolumeClaim': volumeClaim,
  'v1/Service': service,
};

/** `value` seen through proxies that note the path of every own field read. */
function watchReads(value: unknown, path: string, read: Set<string>): unknown {
  if (value === null || typeof value !== 'object') return value;
  return new Proxy(value, {
    get(target, key, receiver) {
      const found = Reflect.get(target, key, receiver);
      if (typeof key !== 'string' || !Object.hasOwn(target, key)) return found;
      read.add(`${path}/${key}`);
      return watchReads(found, `${path}/${key}`, read);
    },
  });
}

function fieldPaths(value: unknown, path: string, into: string[]): string[] {
  if (value === null || typeof value !== 'object') return into;
  for (const [key, child] of Object.entries(value)) {
    into.push(`${path}/${key}`);
    fieldPaths(child, `${path}/${key}`, into);
  }
  return into;
}

/** Throws the schema's complaint, naming the object, when it is not a valid object of its kind or has a field the schema does not know. */
export function validateObject(object: { apiVersion: string; kind: string; metadata: { name: string } }): void {
  const validate = SCHEMAS[`${object.apiVersion}/${object.kind}`];
  if (!validate) throw new Error(`no schema for ${object.apiVersion} ${object.kind}: add it to k8s-models.ts`);
  const read = new Set<string>();
  if (!validate(watchReads(object, '', read))) {
    throw new Error(`${object.kind} ${object.metadata.name}: ${JSON.stringify(validate.errors)}`);
  }
  const unknown = fieldPaths(object, '', []).filter((path) => !read.has(path));
  if (unknown.length > 0) throw new Error(`${object.kind} ${object.metadata.name}: fields the API does not know: ${unknown.join(', ')}`);
}

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const K8S_DIR = fileURLToPath(new URL('..', import.meta.url));
export const REPO_DIR = fileURLToPath(new URL('../..', import.meta.url));
export const OVERLAYS = ['dev', 'prod'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** A rendered Kubernetes object, as far as the checks read it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
}

/** `kubectl kustomize k8s/overlays/<overlay>`: exactly what `kubectl apply -k` would send. */
export function render(overlay: Overlay): K8sObject[] {
  let output: string;
  try {
    output = execFileSync('kubectl', ['kustomize', `${K8S_DIR}/overlays/${overlay}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('kubectl is needed to render the manifests: apt-get install kubernetes-client (or any kubectl ≥ 1.20)');
    }
    throw error;
  }
  return parseAllDocuments(output)
    .map((document) => document.toJS() as K8sObject)
    .filter(Boolean)
    .map(unwrapSecretData);
}

/**
 * kustomize wraps a long Secret value's base64 over lines (a YAML literal block); the API server's
 * base64 decoder skips the line breaks, so the checks read the value as it does.
 */
function unwrapSecretData(object: K8sObject): K8sObject {
  if (object.kind !== 'Secret' || !object.data) return object;
  return {
    ...object,
    data: Object.fromEntries(Object.entries(object.data as Record<string, string>).map(([key, value]) => [key, value.replace(/\n/g, '')])),
  };
}

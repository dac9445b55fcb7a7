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
    output = execFileSync('kubectl', ['kustomize', `${K8S_DIR}/overlays/${overlay}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('kubectl is needed to render the manifests: apt-get install kubernetes-client (or any kubectl ≥ 1.20)');
    }
    throw error;
  }
  return parseAllDocuments(output).map((document) => document.toJS() as K8sObject).filter(Boolean);
}

import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { WorkflowDefinition } from '@signoff/core';
import { installWorkflowModuleResolution } from './workflow-module-resolution';

function isWorkflow(value: unknown): value is WorkflowDefinition {
  return (
    typeof value === 'object' && value !== null && (value as { __brand?: unknown }).__brand === 'WorkflowDefinition'
  );
}

/**
 * Loads workflow definitions from TypeScript or JavaScript modules: every export made with
 * `defineWorkflow` (including arrays of them) is registered. Paths are relative to the working
 * directory. A module may live anywhere, with no `node_modules` of its own: its imports of
 * `@signoff/*` and `zod` get this server's (`installWorkflowModuleResolution`).
 *
 * @example
 * const workflows = await loadWorkflowModules(['./workflows/kyc.ts']);
 */
export async function loadWorkflowModules(paths: string[]): Promise<WorkflowDefinition[]> {
  const shared = paths.length === 0 || installWorkflowModuleResolution();
  const found: WorkflowDefinition[] = [];
  for (const p of paths) {
    const file = isAbsolute(p) ? p : resolve(process.cwd(), p);
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (cause) {
      const hint = shared
        ? ''
        : ` (Node ${process.versions.node}: modules outside the checkout need Node 22.15 or later)`;
      throw new Error(`Could not load workflow module ${p}${hint}`, { cause });
    }
    const before = found.length;
    for (const value of Object.values(mod)) {
      if (isWorkflow(value)) found.push(value);
      else if (Array.isArray(value)) found.push(...value.filter(isWorkflow));
    }
    if (found.length === before) throw new Error(`Workflow module ${p} exports no workflow made with defineWorkflow`);
  }
  // Several versions of one workflow may be exported: keep them all, in order (the last is the newest).
  return [...new Set(found)];
}

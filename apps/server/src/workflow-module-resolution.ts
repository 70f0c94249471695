import nodeModule from 'node:module';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What a workflow module shares with the server: the engine checks its schemas and its states. */
const SHARED_SPECIFIER = /^(?:zod|@signoff\/[^/]+)(?:\/.*)?$/;
const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url));
/** Signoff's own workspace packages, which resolve their dependencies as they declare them. */
const WORKSPACE_PACKAGES = [join(CHECKOUT, 'packages') + sep, join(CHECKOUT, 'apps') + sep];

/**
 * Whether a file is a workflow module's (the user's, or an example's) rather than a package's: a
 * `file:` URL outside any `node_modules` folder and outside Signoff's workspace packages. Such files
 * get the server's `@signoff/*` and `zod`.
 *
 * @example
 * isWorkflowModuleFile('file:///home/ana/workflows/kyc.ts'); // true
 * isWorkflowModuleFile('file:///srv/signoff/packages/engine/src/worker.ts'); // false, when /srv/signoff is the checkout
 */
export function isWorkflowModuleFile(url: string | undefined): boolean {
  if (!url?.startsWith('file:')) return false;
  const path = fileURLToPath(url);
  if (path.split(sep).includes('node_modules')) return false;
  return !WORKSPACE_PACKAGES.some((dir) => path.startsWith(dir));
}

let installed = false;

/**
 * Lets workflow modules anywhere import `@signoff/*` and `zod` by name. Outside the checkout Node
 * would look for them in a `node_modules` that does not exist, or find another copy; a second zod or
 * `@signoff/core` would not be the one the engine checks schemas and definitions with. A synchronous
 * resolution hook (`module.registerHooks`, Node 22.15 and later) answers for workflow module files
 * (`isWorkflowModuleFile`) with the URL this server resolves the specifier to, so they get the very
 * module instances the server runs.
 *
 * Workflow files are loaded as ES modules, unless named `.cts` or `.cjs`. tsx loads a `.ts` file
 * outside a `"type": "module"` package as CommonJS (and `npm init` writes `"type": "commonjs"`);
 * its imports become `require`s of files tsx compiles again, fresh copies even at the server's
 * paths, so an error class or schema would not be the engine's. tsx (4.23, on Node 22.22.3 and
 * later) registers its hooks with `registerHooks` too: this one, registered after, runs first and
 * hands everything it does not answer on to tsx. Idempotent. Returns false on a Node without
 * `registerHooks`, where modules resolve as Node finds them.
 *
 * @example
 * installWorkflowModuleResolution(); // true
 * await import('file:///home/ana/workflows/kyc.ts'); // its `import { z } from 'zod'` is the server's zod
 */
export function installWorkflowModuleResolution(): boolean {
  if (installed) return true;
  if (typeof nodeModule.registerHooks !== 'function') return false;
  installed = true;
  const serverUrls = new Map<string, string | null>();
  const serverUrlOf = (specifier: string): string | null => {
    let url = serverUrls.get(specifier);
    if (url === undefined) {
      try {
        url = import.meta.resolve(specifier);
      } catch {
        url = null; // not a package of this server: resolve as usual, and fail as usual
      }
      serverUrls.set(specifier, url);
    }
    return url;
  };
  nodeModule.registerHooks({
    resolve(specifier, context, nextResolve) {
      if (SHARED_SPECIFIER.test(specifier) && isWorkflowModuleFile(context.parentURL)) {
        const url = serverUrlOf(specifier);
        if (url) return { url, shortCircuit: true };
      }
      const resolved = nextResolve(specifier, context);
      if (resolved.format === 'commonjs' && isWorkflowModuleFile(resolved.url) && !/\.c[jt]s$/.test(resolved.url)) {
        return { ...resolved, format: 'module' };
      }
      return resolved;
    },
  });
  return true;
}

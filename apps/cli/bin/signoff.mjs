#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (the workspace runs TypeScript sources directly), in this
// process, so signals and exit codes are the CLI's own. tsx is resolved from here, not from the
// working directory: `signoff` works from any folder (e.g. the one holding your workflow modules).
await import(import.meta.resolve('tsx'));
await import(new URL('../src/main.ts', import.meta.url).href);

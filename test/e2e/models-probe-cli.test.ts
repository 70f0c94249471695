// `signoff models probe` and `signoff models capabilities`: the real command in a child process,
// against the fake OpenAI-compatible endpoint over HTTP and a database of its own.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from '../fixtures/fake-openai';
import { createTestDatabase, type TestDatabase } from '../support/database';

const cli = join(import.meta.dirname, '..', '..', 'apps', 'cli');

let t: TestDatabase;
let fake: FakeOpenAI;
beforeAll(async () => {
  t = await createTestDatabase();
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake?.close();
  await t?.drop();
});

async function signoff(args: string[], env: Record<string, string | undefined>) {
  const { OPENAI_API_KEY: _k, OPENAI_BASE_URL: _u, OPENAI_MODEL: _m, ...rest } = process.env;
  try {
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
      cwd: cli,
      env: { ...rest, DATABASE_URL: t.url, ...env },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

it('prints what a llama.cpp-like endpoint supports, records it, and lists it', async () => {
  fake.configure({ rejectJsonSchema: true, rejectN: true });
  fake.setFaults([{ kind: 'no-logprobs' }]);
  const r = await signoff(['models', 'probe', '--model', 'llama-3.1-8b'], {
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: fake.url,
  });
  expect(r).toMatchObject({ code: 0, stderr: '' });
  expect(r.stdout).toContain(`${fake.url} model llama-3.1-8b (answers as llama-3.1-8b-2024-07-18)`);
  expect(r.stdout).toMatch(/output mode used +tool_call\n/);
  expect(r.stdout).toMatch(/json_schema +refused\n/);
  expect(r.stdout).toMatch(/logprobs +ignored\n/);
  expect(r.stdout).toMatch(/n +refused\n/);
  expect(r.stdout).toMatch(/confidence from +self-consistency\n/);
  expect(r.stdout).toContain('refused n: HTTP 400 "fake: Only one completion choice is allowed"');

  const listed = await signoff(['models', 'capabilities', '--json'], {});
  expect(listed.code).toBe(0);
  const rows = listed.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(rows).toEqual([expect.objectContaining({ model: 'llama-3.1-8b', jsonSchema: 'refused', n: 'refused' })]);
});

it('says a deterministic endpoint gives no confidence', async () => {
  fake.reset();
  fake.configure({ deterministic: true });
  fake.setFaults([{ kind: 'no-logprobs' }]);
  const r = await signoff(['models', 'probe', '--json'], { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.url });
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({
    model: 'gpt-4o-mini',
    temperature: 'ignored',
    confidence: 'unavailable',
  });
});

it('exits 2 without an endpoint configured, and 1 when it cannot be reached', async () => {
  const none = await signoff(['models', 'probe'], {});
  expect(none.code).toBe(2);
  expect(none.stderr).toContain('error: No OpenAI-compatible endpoint is configured: set OPENAI_API_KEY');

  const down = await signoff(['models', 'probe'], {
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
    SIGNOFF_AI_MAX_RETRIES: '0',
  });
  expect(down.code).toBe(1);
  expect(down.stderr).toMatch(/error: could not connect to http:\/\/127\.0\.0\.1:9\/v1 \(model gpt-4o-mini\)/);
});

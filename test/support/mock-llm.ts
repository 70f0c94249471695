// @dwmkerr/mock-llm, a third-party OpenAI-compatible mock server, run as its own CLI in a child
// process on a free local port, started with one profile's rules (see mock-llm-profiles.ts) as its
// --config file. A small recording proxy in this process sits in front of it, so tests can see
// what the provider sent (mock-llm keeps no log of requests).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MockProfile, mockConfig } from './mock-llm-profiles';
import { waitFor } from './signoff';

/** A chat completion request as the mock received it (the parts tests read; the whole body is kept). */
export interface RecordedRequest {
  model?: string;
  messages?: { role: string; content: unknown }[];
  response_format?: { type: string; json_schema?: unknown };
  tools?: unknown[];
  tool_choice?: unknown;
  logprobs?: boolean;
  top_logprobs?: number;
  temperature?: number;
  n?: number;
  [key: string]: unknown;
}

export interface MockLlm {
  /** Base URL for the `openai` SDK, `/v1` included. */
  url: string;
  /** The chat completion requests received since the last `use`, in order of arrival. */
  requests: RecordedRequest[];
  /** Restarts the mock with `profile`'s rules (fresh sequence counters) and empties `requests`. */
  use(profile: MockProfile): Promise<void>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

/**
 * Starts mock-llm (its `mock-llm` bin) bound to 127.0.0.1 and a recording proxy in front of it.
 *
 * @example
 * const mock = await startMockLlm();
 * await mock.use('llamacpp');
 * createOpenAIProvider({ apiKey: 'test', baseURL: mock.url });
 */
export async function startMockLlm(): Promise<MockLlm> {
  const main = require.resolve('@dwmkerr/mock-llm');
  // Its own working directory, so it never picks up a stray mock-llm.yaml.
  const cwd = await mkdtemp(join(tmpdir(), 'mock-llm-'));
  let child: ChildProcess | undefined;
  let upstream = 0;
  const requests: RecordedRequest[] = [];
  const proxy = createServer((req, res) => {
    void readBody(req).then((body) => {
      if (req.method === 'POST' && req.url?.endsWith('/chat/completions')) {
        try {
          requests.push(JSON.parse(body.toString('utf8')) as RecordedRequest);
        } catch {
          requests.push({ unparsed: body.toString('utf8') });
        }
      }
      const forward = httpRequest(
        { host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', (e) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `recording proxy: ${e.message}` } }));
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyPort = (proxy.address() as AddressInfo).port;

  const stop = async () => {
    const c = child;
    child = undefined;
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.kill('SIGTERM');
      await exited;
    }
  };
  return {
    url: `http://127.0.0.1:${proxyPort}/v1`,
    requests,
    async use(profile) {
      await stop();
      // The profile as a --config file (JSON is YAML): its runtime POST /config is capped at
      // express's 100 kB body limit, and a restart also resets its sequence counters.
      const config = join(cwd, `${profile}.json`);
      await writeFile(config, JSON.stringify(mockConfig(profile)));
      const started = await spawnMockLlm(main, cwd, config);
      child = started.child;
      upstream = started.port;
      requests.length = 0;
    },
    async close() {
      await closeServer(proxy);
      await stop();
      await rm(cwd, { recursive: true, force: true });
    },
  };
}

/** The mock-llm CLI on a free port, once it answers /health. */
async function spawnMockLlm(main: string, cwd: string, config: string): Promise<{ child: ChildProcess; port: number }> {
  let stderr = '';
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(process.execPath, [main, '--config', config], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    const state = await waitFor(
      async () => {
        if (exited) return 'exited';
        const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.ok,
          () => false,
        );
        return ok ? 'ready' : undefined;
      },
      { timeoutMs: 15_000, message: `mock-llm answers /health on port ${port}` },
    );
    if (state === 'ready') return { child, port };
    // Most likely the port was taken between our probe and its listen: try another.
    if (attempt >= 2) throw new Error(`mock-llm did not start: ${stderr}`);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

function closeServer(s: Server): Promise<void> {
  s.closeAllConnections();
  return new Promise((resolve) => s.close(() => resolve()));
}

// Tools a `decide` agent may call before it answers: their JSON schemas for the API, the checks
// on their names, and running one call (arguments parsed and validated, a time limit, a result
// fit to be fed back to the model and recorded in the audit trail). Pure but for the tools' own code.
import { type AgentTool, AppError } from '@signoff/core';
import { z } from 'zod';
import { DECISION_FUNCTION } from './decision-output';
import type { ToolCallRecord } from './provider';

/** What the OpenAI API accepts as a function name. */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
/** How long one tool call may run before it is abandoned (its `signal` aborted). */
export const DEFAULT_TOOL_TIMEOUT_MS = 10_000;
/** Longest tool result (JSON characters) fed back to the model; longer ones are cut. */
export const TOOL_RESULT_MAX_CHARS = 4096;
/** Rounds of tool calls one decision may take; a model still calling tools after that fails. */
export const MAX_TOOL_ROUNDS = 4;

/** A function tool in the chat completions API's shape. */
export interface FunctionToolParam {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/**
 * Every problem with an agent's tools, as sentences; empty when they are usable: names must match
 * `TOOL_NAME`, be unique and not be `decision` (the structured answer's name), and the parameters
 * must be a zod object that converts to JSON Schema.
 *
 * @example
 * toolProblems([{ name: 'look up', description: '', parameters: z.object({}), run: () => 1 }]);
 * // ['tool name "look up" must match /^[a-zA-Z0-9_-]{1,64}$/']
 */
export function toolProblems(tools: readonly AgentTool[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const tool of tools) {
    if (!TOOL_NAME.test(tool.name)) problems.push(`tool name "${tool.name}" must match ${TOOL_NAME}`);
    else if (tool.name === DECISION_FUNCTION) problems.push(`tool name "${DECISION_FUNCTION}" is reserved`);
    else if (seen.has(tool.name)) problems.push(`tool name "${tool.name}" is used twice`);
    seen.add(tool.name);
    if (typeof tool.run !== 'function') problems.push(`tool "${tool.name}" has no run function`);
    try {
      const schema = parametersJsonSchema(tool);
      if (schema.type !== 'object') problems.push(`tool "${tool.name}": parameters must be a zod object`);
    } catch (e) {
      problems.push(`tool "${tool.name}": parameters cannot be expressed as JSON Schema (${(e as Error).message})`);
    }
  }
  return problems;
}

/**
 * The tools as the API's function tools (not strict: the arguments are validated here, with the
 * tool's own zod schema). Throws `INVALID_WORKFLOW` naming every problem (see `toolProblems`).
 *
 * @example
 * const body = { ...request, tools: toolDefinitions(agent.tools), tool_choice: 'auto' };
 */
export function toolDefinitions(tools: readonly AgentTool[]): FunctionToolParam[] {
  const problems = toolProblems(tools);
  if (problems.length > 0) {
    throw new AppError('INVALID_WORKFLOW', `the agent's tools are invalid: ${problems.join('; ')}`, {
      issues: problems.map((message) => ({ path: 'agent.tools', message })),
    });
  }
  return tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: parametersJsonSchema(tool) },
  }));
}

/** The JSON Schema of what the model must send (the schema's input side), without `$schema`. */
function parametersJsonSchema(tool: AgentTool): Record<string, unknown> {
  const { $schema: _, ...schema } = z.toJSONSchema(tool.parameters, { io: 'input' }) as Record<string, unknown>;
  return schema;
}

/** One call the model asked for. */
export interface ToolCallRequest {
  name: string;
  /** The arguments as the model wrote them (a JSON text). */
  arguments: string;
}

export interface ToolRunOptions {
  /** Default `DEFAULT_TOOL_TIMEOUT_MS`. */
  timeoutMs?: number;
  /** The caller's signal: aborting it aborts the tool too. */
  signal?: AbortSignal | undefined;
  /** Default `TOOL_RESULT_MAX_CHARS`. */
  maxResultChars?: number;
}

export interface ToolRunOutcome {
  record: ToolCallRecord;
  /** The `role: 'tool'` message content: the result's JSON, or `{"error": ...}`. */
  content: string;
}

/**
 * Runs one call: finds the tool, parses the arguments and validates them with its schema, runs it
 * within the time limit and serialises the result. Never throws: every failure (unknown tool, bad
 * arguments, the tool throwing or timing out, a result that is not JSON) is an error result that
 * the model reads and can correct.
 *
 * @example
 * const { record, content } = await runToolCall(agent.tools, { name: 'lookupOrder', arguments: '{"orderId":"ORD-1"}' });
 */
export async function runToolCall(
  tools: readonly AgentTool[],
  call: ToolCallRequest,
  options: ToolRunOptions = {},
): Promise<ToolRunOutcome> {
  const started = performance.now();
  const maxChars = options.maxResultChars ?? TOOL_RESULT_MAX_CHARS;
  let args: unknown = call.arguments;
  const failed = (error: string): ToolRunOutcome => ({
    record: { name: call.name, arguments: args, ok: false, error, latencyMs: elapsed(started) },
    content: JSON.stringify({ error }),
  });

  const tool = tools.find((t) => t.name === call.name);
  if (!tool) return failed(`no tool named "${call.name}"; the tools are: ${tools.map((t) => t.name).join(', ')}`);
  try {
    args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
  } catch (e) {
    return failed(`the arguments are not valid JSON (${(e as Error).message})`);
  }
  const parsed = tool.parameters.safeParse(args);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`);
    return failed(`invalid arguments: ${issues.join('; ')}`);
  }

  let value: unknown;
  try {
    value = await withTimeLimit(
      (signal) => tool.run(parsed.data, { signal }),
      options.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS,
      options.signal,
    );
  } catch (e) {
    return failed(e instanceof Error ? e.message : String(e));
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(value ?? null);
  } catch (e) {
    return failed(`the tool's result is not JSON-serialisable (${(e as Error).message})`);
  }
  if (json === undefined) return failed("the tool's result is not JSON-serialisable");
  const cut = json.length > maxChars;
  const content = cut ? `${json.slice(0, maxChars)}…[truncated: ${json.length} characters in all]` : json;
  return {
    record: {
      name: call.name,
      arguments: args,
      ok: true,
      result: cut ? content : JSON.parse(json),
      latencyMs: elapsed(started),
    },
    content,
  };
}

/** Runs `task` and rejects when `timeoutMs` passes or `outer` aborts, aborting the task's signal. */
async function withTimeLimit<T>(
  task: (signal: AbortSignal) => T | Promise<T>,
  timeoutMs: number,
  outer: AbortSignal | undefined,
): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const limit = new Promise<never>((_, reject) => {
    const stop = (message: string) => {
      controller.abort(new Error(message));
      reject(new Error(message));
    };
    timer = setTimeout(() => stop(`the tool timed out after ${timeoutMs} ms`), timeoutMs);
    onAbort = () => stop('the call was aborted by the caller');
    if (outer?.aborted) onAbort();
    else outer?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([Promise.resolve().then(() => task(controller.signal)), limit]);
  } finally {
    clearTimeout(timer);
    if (onAbort) outer?.removeEventListener('abort', onAbort);
  }
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

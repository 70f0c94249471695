/** Limits on the requests one provider instance sends to its endpoint. */
export interface RequestLimits {
  /** Requests in flight at once. Default 8. */
  maxConcurrency?: number;
  /**
   * Tokens (input + output) per minute. Each request is charged an estimate before it is sent and
   * corrected with its reported usage afterwards. Default unlimited.
   */
  tokensPerMinute?: number;
}

export interface LimiterState {
  /** Requests sent and not yet settled. */
  inFlight: number;
  /** Requests waiting for a concurrency slot or for tokens. */
  waiting: number;
  /** Tokens that could be spent now (negative after an underestimate); `Infinity` without a budget. */
  tokensAvailable: number;
}

/**
 * Thrown when the caller's `AbortSignal` fires while a request waits for the limiter; the provider
 * turns it into `AI_UNAVAILABLE` (aborted by the caller). The limiter itself never fails a call.
 */
export class LimiterWaitAborted extends Error {
  override readonly name = 'LimiterWaitAborted';
}

export interface RequestLimiter {
  /**
   * Waits (FIFO) for tokens and a free slot, runs `call`, then settles the token charge with
   * `usedTokens(result)` (the estimate is kept when usage is unknown, the input part only when
   * the call threw, since a refused request generates nothing).
   */
  run<T>(
    estimate: { inputTokens: number; outputTokens: number },
    signal: AbortSignal | undefined,
    call: () => Promise<T>,
    usedTokens: (result: T) => number | undefined,
  ): Promise<T>;
  state(): LimiterState;
}

/**
 * In-process limits on one endpoint: a semaphore of `maxConcurrency` slots and, with
 * `tokensPerMinute`, a token bucket holding at most a minute's budget and refilled continuously.
 * Waiters are served in arrival order; a request larger than the whole budget waits for a full
 * bucket rather than failing.
 *
 * @example
 * const limiter = createRequestLimiter({ maxConcurrency: 4, tokensPerMinute: 200_000 });
 * const completion = await limiter.run(
 *   { inputTokens: 350, outputTokens: 512 },
 *   signal,
 *   () => client.chat.completions.create(params),
 *   (c) => c.usage?.total_tokens,
 * );
 */
export function createRequestLimiter(limits: RequestLimits = {}): RequestLimiter {
  const maxConcurrency = Math.max(1, Math.floor(limits.maxConcurrency ?? 8));
  const tpm = limits.tokensPerMinute;
  const bucket = tpm !== undefined && Number.isFinite(tpm) ? createTokenBucket(Math.max(1, tpm)) : undefined;
  let inFlight = 0;
  const slotQueue: Waiter[] = [];

  async function acquireSlot(signal: AbortSignal | undefined): Promise<void> {
    if (inFlight < maxConcurrency && slotQueue.length === 0) {
      inFlight += 1;
      return;
    }
    await waitInQueue(slotQueue, {}, signal, 'a free request slot');
  }

  function releaseSlot(): void {
    const next = slotQueue.shift();
    // The slot passes straight to the next waiter, so `inFlight` stays as it is.
    if (next) next.grant();
    else inFlight -= 1;
  }

  return {
    async run(estimate, signal, call, usedTokens) {
      if (signal?.aborted) throw new LimiterWaitAborted('aborted before the request was sent');
      const charged = bucket ? await bucket.take(estimate.inputTokens + estimate.outputTokens, signal) : 0;
      try {
        await acquireSlot(signal);
      } catch (e) {
        bucket?.settle(charged, 0);
        throw e;
      }
      let result: Awaited<ReturnType<typeof call>>;
      try {
        result = await call();
      } catch (e) {
        bucket?.settle(charged, Math.min(charged, estimate.inputTokens));
        throw e;
      } finally {
        releaseSlot();
      }
      bucket?.settle(charged, usedTokens(result) ?? charged);
      return result;
    },
    state: () => ({
      inFlight,
      waiting: slotQueue.length + (bucket?.waiting() ?? 0),
      tokensAvailable: bucket ? bucket.available() : Number.POSITIVE_INFINITY,
    }),
  };
}

interface Waiter {
  grant(): void;
}

/**
 * Appends a waiter to `queue` and resolves when something calls its `grant()`. An abort takes it
 * out of the queue, calls `onLeave` (so the next waiter may go) and rejects.
 */
function waitInQueue<W extends Waiter>(
  queue: W[],
  fields: Omit<W, 'grant'>,
  signal: AbortSignal | undefined,
  what: string,
  onLeave?: () => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      const i = queue.indexOf(waiter);
      if (i >= 0) queue.splice(i, 1);
      onLeave?.();
      reject(new LimiterWaitAborted(`aborted while waiting for ${what}`));
    };
    const waiter = {
      ...fields,
      grant() {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
    } as W;
    queue.push(waiter);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A bucket of `perMinute` tokens, refilled at `perMinute / 60 000` per millisecond. `take` waits
 * until the head of the queue fits; `settle` returns the difference between the charge and what
 * was actually used (which can leave the balance negative, delaying the next requests).
 */
function createTokenBucket(perMinute: number) {
  const perMs = perMinute / 60_000;
  let tokens = perMinute;
  let updatedAt = Date.now();
  const queue: (Waiter & { cost: number })[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  function refill(): void {
    const now = Date.now();
    tokens = Math.min(perMinute, tokens + (now - updatedAt) * perMs);
    updatedAt = now;
  }

  function pump(): void {
    refill();
    for (let head = queue[0]; head && tokens >= head.cost; head = queue[0]) {
      queue.shift();
      tokens -= head.cost;
      head.grant();
    }
    if (timer) clearTimeout(timer);
    timer = undefined;
    const head = queue[0];
    if (head) timer = setTimeout(pump, Math.max(1, Math.ceil((head.cost - tokens) / perMs)));
  }

  return {
    async take(requested: number, signal: AbortSignal | undefined): Promise<number> {
      // More than a minute's budget could never fit: it waits for a full bucket instead.
      const cost = Math.min(perMinute, Math.max(0, Math.ceil(requested)));
      refill();
      if (queue.length === 0 && tokens >= cost) {
        tokens -= cost;
        return cost;
      }
      const granted = waitInQueue(queue, { cost }, signal, 'the tokens-per-minute budget', pump);
      pump();
      await granted;
      return cost;
    },
    settle(charged: number, used: number): void {
      refill();
      tokens = Math.min(perMinute, tokens + charged - Math.max(0, used));
      pump();
    },
    waiting: () => queue.length,
    available(): number {
      refill();
      return tokens;
    },
  };
}

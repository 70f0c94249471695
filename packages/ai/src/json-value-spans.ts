/** Where one value sits in a JSON text, by character offsets. */
export interface JsonValueSpan {
  /** The quoted key that names it: `[keyStart, keyEnd)`. */
  keyStart: number;
  keyEnd: number;
  /** The value's own text, `[start, end)`: a string's quotes, an array's brackets included. */
  start: number;
  end: number;
  kind: 'string' | 'number' | 'literal' | 'array' | 'object';
}

/**
 * The position of every value of a JSON object by dotted path (`vendor.taxId`): objects are
 * walked into (and listed themselves), arrays are one value (the list as a whole), like the leaf
 * fields of a structured output. `start` is where the JSON object begins in `text`. Returns
 * `undefined` when the text there is not one JSON object; a key that repeats keeps its last
 * position, as `JSON.parse` keeps its last value.
 *
 * @example
 * jsonValueSpans('{"a":{"b":"x"}}').get('a.b'); // { keyStart: 6, keyEnd: 9, start: 10, end: 13, kind: 'string' }
 */
export function jsonValueSpans(text: string, start = 0): Map<string, JsonValueSpan> | undefined {
  const out = new Map<string, JsonValueSpan>();
  let i = start;
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const fail = (): never => {
    throw new SyntaxError('not JSON');
  };
  const string = () => {
    if (text[i] !== '"') fail();
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail();
    i++;
  };
  const value = (path: string | undefined): JsonValueSpan['kind'] => {
    space();
    const c = text[i];
    if (c === '{') {
      object(path);
      return 'object';
    }
    if (c === '[') {
      i++;
      space();
      if (text[i] === ']') {
        i++;
        return 'array';
      }
      for (;;) {
        value(undefined);
        space();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return 'array';
        } else fail();
      }
    }
    if (c === '"') {
      string();
      return 'string';
    }
    const literal = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!literal) return fail();
    i += literal[0].length;
    return /^[-\d]/.test(literal[0]) ? 'number' : 'literal';
  };
  function object(path: string | undefined) {
    i++;
    space();
    if (text[i] === '}') {
      i++;
      return;
    }
    for (;;) {
      space();
      const keyStart = i;
      string();
      const keyEnd = i;
      space();
      if (text[i] !== ':') fail();
      i++;
      space();
      const valueStart = i;
      const name = JSON.parse(text.slice(keyStart, keyEnd)) as string;
      const inner = path === undefined ? undefined : path === '' ? name : `${path}.${name}`;
      const kind = value(inner);
      if (inner !== undefined) out.set(inner, { keyStart, keyEnd, start: valueStart, end: i, kind });
      space();
      if (text[i] === ',') i++;
      else if (text[i] === '}') {
        i++;
        return;
      } else fail();
    }
  }
  try {
    space();
    if (text[i] !== '{') return undefined;
    object('');
    return out;
  } catch {
    return undefined;
  }
}

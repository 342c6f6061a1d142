/**
 * The module specifiers a TypeScript or JavaScript file imports: static imports and re-exports, side-effect
 * imports, `import("…")` with a literal argument and `require("…")`. A small lexer rather than a regular
 * expression over the text, so that comments (doc examples mention imports), strings, template literals
 * and regular-expression literals never count. It needs nothing but Node.js, so the image build can run it
 * before any dependency is installed.
 *
 * @example
 * importSpecifiers('import { a } from "./a.ts";\nconst b = await import("./b.ts");'); // ["./a.ts", "./b.ts"]
 */

/** One token of the source: a word (identifier, keyword, number), a string literal or a punctuator. */
interface Token {
  kind: "word" | "string" | "punct";
  value: string;
}

const WORD = /[\w$\u0080-\uffff]/u;
/** Words after which a `/` starts a regular expression rather than a division. */
const REGEX_AFTER_WORD = new Set(
  "return typeof instanceof in of new delete void throw case do else yield await".split(" "),
);

function regexAllowed(previous: Token | undefined): boolean {
  if (!previous) return true;
  if (previous.kind === "punct") return !")]}".includes(previous.value);
  return previous.kind === "word" && REGEX_AFTER_WORD.has(previous.value);
}

/** The index just past the string literal that starts at `start` (quote character included). */
function skipString(source: string, start: number): number {
  const quote = source[start];
  let i = start + 1;
  while (i < source.length && source[i] !== quote && source[i] !== "\n")
    i += source[i] === "\\" ? 2 : 1;
  return i + 1;
}

/** The index just past the regular-expression literal that starts at `start`, flags included. */
function skipRegex(source: string, start: number): number {
  let i = start + 1;
  let inClass = false;
  while (i < source.length && source[i] !== "\n") {
    const c = source[i];
    if (c === "\\") i++;
    else if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    else if (c === "/" && !inClass) break;
    i++;
  }
  i++;
  while (i < source.length && WORD.test(source[i]!)) i++;
  return i;
}

/**
 * Skips template-literal text from `start` (just past a backtick or a closing `}` of a substitution);
 * returns the index past the closing backtick, or past `${` with `inSubstitution` true.
 */
function skipTemplate(source: string, start: number): { end: number; inSubstitution: boolean } {
  let i = start;
  while (i < source.length) {
    const c = source[i];
    if (c === "\\") i += 2;
    else if (c === "`") return { end: i + 1, inSubstitution: false };
    else if (c === "$" && source[i + 1] === "{") return { end: i + 2, inSubstitution: true };
    else i++;
  }
  return { end: i, inSubstitution: false };
}

/** The index past whitespace and comments from `i`. */
function skipTrivia(source: string, i: number): number {
  for (;;) {
    if (/\s/u.test(source[i] ?? "")) i++;
    else if (source.startsWith("//", i)) i = endOf(source, "\n", i, 0);
    else if (source.startsWith("/*", i)) i = endOf(source, "*/", i + 2, 2);
    else return i;
  }
}

/** The index past `needle` (of length `length`) from `from`, or the end of `source`. */
function endOf(source: string, needle: string, from: number, length: number): number {
  const at = source.indexOf(needle, from);
  return at === -1 ? source.length : at + length;
}

/** The index past the word (identifier, keyword, number) that starts at `start`. */
function skipWord(source: string, start: number): number {
  let i = start;
  while (i < source.length && WORD.test(source[i]!)) i++;
  return i;
}

/** Splits `source` into words, string literals and punctuators; comments and other literals are dropped. */
function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const push = (kind: Token["kind"], value: string) => tokens.push({ kind, value });
  // Open `{` counts of the template substitutions we are inside, innermost last.
  const substitutions: number[] = [];
  const template = (from: number) => {
    const { end, inSubstitution } = skipTemplate(source, from);
    if (inSubstitution) substitutions.push(0);
    push("word", "`template`");
    return end;
  };
  const punctuator = (i: number) => {
    const c = source[i]!;
    if (c === "}" && substitutions.at(-1) === 0) {
      substitutions.pop();
      return template(i + 1);
    }
    if (substitutions.length > 0 && (c === "{" || c === "}")) {
      substitutions[substitutions.length - 1]! += c === "{" ? 1 : -1;
    }
    push("punct", c);
    return i + 1;
  };
  /** Reads the token at `i`; returns the index past it. */
  const token = (i: number) => {
    const c = source[i]!;
    if (c === "'" || c === '"') {
      const end = skipString(source, i);
      push("string", source.slice(i + 1, end - 1));
      return end;
    }
    if (c === "`") return template(i + 1);
    if (c === "/" && regexAllowed(tokens.at(-1))) {
      push("word", "/regex/");
      return skipRegex(source, i);
    }
    if (!WORD.test(c)) return punctuator(i);
    const end = skipWord(source, i);
    push("word", source.slice(i, end));
    return end;
  };
  let i = source.startsWith("#!") ? endOf(source, "\n", 0, 1) : 0;
  while ((i = skipTrivia(source, i)) < source.length) i = token(i);
  return tokens;
}

const is = (token: Token | undefined, kind: Token["kind"], ...values: string[]) =>
  token?.kind === kind && (values.length === 0 || values.includes(token.value));

/** The specifier imported at `tokens[i]`, if an import starts there. */
function specifierAt(tokens: readonly Token[], i: number): string | undefined {
  const [token, next, argument] = [tokens[i], tokens[i + 1], tokens[i + 2]];
  if (is(tokens[i - 1], "punct", ".")) return undefined; // `loader.import(…)` is a method
  // `import "x"`, `… from "x"`
  if (is(token, "word", "import", "from") && is(next, "string")) return next!.value;
  // `import("x")`, `require("x")`
  if (is(token, "word", "import", "require") && is(next, "punct", "(") && is(argument, "string")) {
    return argument!.value;
  }
  return undefined;
}

/**
 * The specifiers `source` imports, in order of appearance, each once.
 *
 * @example
 * importSpecifiers('export * from "./b.ts"; // import "./not-this.ts"'); // ["./b.ts"]
 */
export function importSpecifiers(source: string): string[] {
  const tokens = tokenize(source);
  const found = tokens.map((_, i) => specifierAt(tokens, i)).filter((s) => s !== undefined);
  return [...new Set(found)];
}

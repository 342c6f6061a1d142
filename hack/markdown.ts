/**
 * Markdown as prettier lays it out (printWidth 100, prose wrap preserved), so generated documents pass
 * `prettier --check` as they are written: tables padded to their widest cell, prose filled to a width
 * without breaking a code span or a link, and never a line that would start a list or a heading.
 *
 * @example
 * wrapProse(["# Title", markdownTable(["a"], [["1"]])].join("\n\n") + "\n");
 */

/** Escapes what would end a Markdown table cell. */
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/**
 * `text` as a code span.
 *
 * @example
 * code("spec.kem"); // "`spec.kem`"
 */
export const code = (text: string): string => `\`${text}\``;

/**
 * Values as a comma-separated list of code spans.
 *
 * @example
 * codeList(["In", "NotIn"]); // "`In`, `NotIn`"
 */
export const codeList = (values: readonly unknown[]): string =>
  values.map((v) => code(String(v))).join(", ");

/**
 * A Markdown table padded the way prettier pads one, so the output is already formatted.
 *
 * @example
 * markdownTable(["a", "b"], [["1", "2"]]); // "| a   | b   |\n| --- | --- |\n| 1   | 2   |"
 */
export function markdownTable(headers: readonly string[], rows: readonly string[][]): string {
  const all = [headers, ...rows].map((r) => r.map(cell));
  const widths = headers.map((_, i) => Math.max(3, ...all.map((r) => [...(r[i] ?? "")].length)));
  const pad = (text: string, width: number) => text + " ".repeat(width - [...text].length);
  const line = (r: readonly string[]) =>
    `| ${widths.map((w, i) => pad(r[i] ?? "", w)).join(" | ")} |`;
  const [head, ...body] = all;
  return [line(head!), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

/** Words of a paragraph; a code span or link is one word, so a line never breaks inside one. */
const words = (text: string) => text.match(/(?:`[^`]*`|\[[^\]]*\]\([^)]*\)|[^\s`])+/g) ?? [];

/** Would start a list, heading, quote or table if it began a line. */
const startsBlock = (word: string) => /^([-+*]|#{1,6}|\d+[.)])$|^[>|]/.test(word);

/** Fills one paragraph line to `width` columns. */
function fill(line: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of words(line)) {
    const last = lines.length - 1;
    if (last >= 0 && (lines[last]!.length + 1 + word.length <= width || startsBlock(word)))
      lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines;
}

/**
 * Wraps the prose lines of a Markdown text at `width`; tables, lists, headings and code stay as they are.
 *
 * @example
 * wrapProse("A long paragraph … on one line.", 40); // the same words, on lines of at most 40 columns
 */
export function wrapProse(markdown: string, width = 100): string {
  let inCode = false;
  return markdown
    .split("\n")
    .flatMap((line) => {
      if (line.startsWith("```")) inCode = !inCode;
      const prose = !inCode && line.length > width && !/^([-|#<]|```|\d+\.)/.test(line);
      return prose ? fill(line, width) : [line];
    })
    .join("\n");
}

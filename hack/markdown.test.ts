/**
 * Generated Markdown must already be what prettier would write: tables padded alike, and filled prose that
 * neither breaks a code span nor starts a line that Markdown would read as a list or a heading.
 */
import { format } from "prettier";
import { describe, expect, it } from "vitest";
import { markdownTable, wrapProse } from "./markdown.ts";

const prettier = (text: string) => format(text, { parser: "markdown", printWidth: 100 });

describe("markdownTable", () => {
  it.each([
    [["a", "b"], [["1", "2"]], "| a   | b   |\n| --- | --- |\n| 1   | 2   |"],
    [["x"], [["a|b"]], "| x    |\n| ---- |\n| a\\|b |"],
    [["long header"], [["v"]], "| long header |\n| ----------- |\n| v           |"],
    [["k", "v"], [["…", "`x`"]], "| k   | v   |\n| --- | --- |\n| …   | `x` |"],
  ])("lays out %j as prettier does", async (headers, rows, want) => {
    const table = markdownTable(headers, rows);
    expect(table).toBe(want);
    expect(await prettier(table)).toBe(`${want}\n`);
  });
});

describe("wrapProse", () => {
  it.each([
    ["a short line", 20, "a short line"],
    ["one two three four five", 9, "one two\nthree\nfour five"],
    ["see `a code span` here", 12, "see\n`a code span`\nhere"],
    ["a [link with words](x.md) b", 10, "a\n[link with words](x.md)\nb"],
    ["words then - and 1. and # go", 10, "words then -\nand 1. and #\ngo"],
    ["| a | b |", 3, "| a | b |"],
    ["```\nlong code stays as it is\n```", 5, "```\nlong code stays as it is\n```"],
  ])("wraps %j at %i as %j", async (text, width, want) => {
    const wrapped = wrapProse(text, width);
    expect(wrapped).toBe(want);
    expect(wrapped.replace(/\s+/g, " ")).toBe(text.replace(/\s+/g, " "));
    expect(await prettier(wrapped)).toBe(`${wrapped}\n`);
  });
});

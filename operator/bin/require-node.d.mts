/** Types for require-node.mjs, which stays plain JavaScript so that it runs on any Node.js. */
export declare const REQUIRED_NODE: string;
export declare function nodeVersionProblem(version: string, execPath: string): string | undefined;

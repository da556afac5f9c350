/** What the code editors share without loading CodeMirror: the JSON check and the editor's props. */

export interface CodeProblem {
  line: number;
  column: number;
  message: string;
}

export interface CodeEditorHandle {
  insert(text: string): void;
}

export interface CodeEditorProps {
  label: string;
  language: "json" | "javascript";
  value: string;
  onChange(value: string): void;
  onProblem?(problem: CodeProblem | null): void;
  minLines?: number;
}

export function jsonProblem(text: string): CodeProblem | null {
  if (text.trim() === "") return { line: 1, column: 1, message: "enter a JSON value" };
  try {
    JSON.parse(text);
    return null;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const pos = /position (\d+)/.exec(message);
    const offset = pos ? Number(pos[1]) : text.length;
    const before = text.slice(0, offset).split("\n");
    return {
      line: before.length,
      column: (before[before.length - 1]?.length ?? 0) + 1,
      message: message.replace(/ in JSON at position.*$/, "").replace(/^JSON\.parse: /, ""),
    };
  }
}

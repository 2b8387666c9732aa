// Parses AsyncAPI documents with the official parser (@asyncapi/parser) and prints, as one
// JSON object, each file's diagnostics. Exits 1 when any diagnostic is an error (severity 0),
// or a document does not parse at all.
//   node validate.mjs contracts/asyncapi/*.yaml
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const SEVERITY = ["error", "warning", "information", "hint"];
const parser = new Parser();
const report = {};
let failed = false;

for (const file of process.argv.slice(2)) {
  const { document, diagnostics } = await parser.parse(await readFile(file, "utf8"), {
    source: file,
  });
  const found = diagnostics.map((d) => ({
    severity: SEVERITY[d.severity] ?? String(d.severity),
    code: String(d.code),
    message: d.message,
    path: d.path.join("/"),
  }));
  if (document === undefined || found.some((d) => d.severity === "error")) failed = true;
  report[file] = { parsed: document !== undefined, diagnostics: found };
}
console.log(JSON.stringify(report, null, 2));
process.exit(failed ? 1 : 0);

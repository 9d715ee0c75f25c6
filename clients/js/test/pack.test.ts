/** `npm pack` gives a tarball that installs into an empty project, where `import NovaVMS from 'novavms'` works against the stack, types included. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { needsStack, newOrg } from "./stack.js";

const run = promisify(execFile);
const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), "..");
const TSC = join(PACKAGE, "node_modules", "typescript", "bin", "tsc");

test("the packed tarball installs into an empty project and works there", needsStack, async () => {
  const stack = await newOrg();
  const work = await mkdtemp(join(tmpdir(), "novavms-pack-"));
  const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: PACKAGE });
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  const files = packed!.files.map((f) => f.path).sort();
  assert.ok(files.includes("dist/index.js") && files.includes("dist/index.d.ts") && files.includes("README.md"), files.join(" "));
  assert.ok(files.every((f) => f.startsWith("dist/") || ["README.md", "package.json"].includes(f)), files.join(" "));

  const project = join(work, "app");
  await run("mkdir", [project]);
  await writeFile(join(project, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  await run("npm", ["install", "--offline", "--no-audit", "--no-fund", join(work, packed!.filename)], { cwd: project });
  assert.ok(!(await readdir(join(project, "node_modules"))).some((name) => !["novavms", ".package-lock.json"].includes(name)), "no dependencies came along");

  const program = `
    import NovaVMS, { NotFoundError } from 'novavms';
    const novavms = new NovaVMS({ apiKey: process.env.TOKEN, baseUrl: process.env.BASE_URL });
    const page = await novavms.events.list({ triggerType: 'ai_tag', dateFrom: '2026-04-20' });
    const missing = await novavms.events.get('00000000-0000-4000-8000-000000000000').catch((e) => e instanceof NotFoundError);
    console.log(JSON.stringify({ id: page.data[0].id, missing }));
  `;
  await writeFile(join(project, "main.mjs"), program);
  const env = { ...process.env, TOKEN: stack.tokens.viewer, BASE_URL: stack.baseUrl };
  const result = await run("node", ["main.mjs"], { cwd: project, env });
  assert.deepEqual(JSON.parse(result.stdout), { id: stack.exampleEventId, missing: true });

  const typed = `
    import NovaVMS, { type Event, type EventListItem, RateLimitError } from 'novavms';
    const novavms = new NovaVMS({ apiKey: 'sk_live_abc123', baseUrl: 'http://localhost:8080', maxRetries: 3, timeout: 5000 });
    export async function main(id: string): Promise<string | null> {
      for await (const event of novavms.events.list({ triggerType: 'ai_tag', dateFrom: new Date() })) { const e: EventListItem = event; void e; }
      const event: Event = await novavms.events.update(id, { acknowledged: true, notes: '...' });
      try { await novavms.events.delete(id); } catch (e) { if (e instanceof RateLimitError) return String(e.retryAfter); }
      const csv: string = await novavms.events.export({ dateFrom: '2026-04-01', dateTo: '2026-04-21' });
      return event.acknowledgedBy ?? csv;
    }
  `;
  await writeFile(join(project, "main.ts"), typed);
  const compilerOptions = { strict: true, noEmit: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", lib: ["es2022", "dom", "dom.iterable"], types: [] };
  await writeFile(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["main.ts"] }));
  await run("node", [TSC, "-p", "tsconfig.json"], { cwd: project }).catch((error: { stdout: string }) => assert.fail(`tsc --strict: ${error.stdout}`));
});

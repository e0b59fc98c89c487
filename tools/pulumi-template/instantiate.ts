// What `pulumi new <template>` does to a template directory, without the Pulumi CLI (pulumi/pulumi
// pkg/workspace/templates.go and pkg/cmd/pulumi/newcmd): copy every file but .git into the target,
// replacing the PROJECT and DESCRIPTION placeholders ("$" + "{PROJECT}") in text files (so this file
// spells them only as a pattern); rewrite Pulumi.yaml with the new name and
// description and without its `template:` section; answer the config prompts (a value given, else the
// prompt's default), qualifying an unqualified key with the new project's name; write the answers to
// the stack's config file in the project's stackConfigDir. Dependency installation is left out: the
// target gets a node_modules symlink to the repository's.
import { cpSync, existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { parse, stringify } from "yaml";

export interface TemplatePrompt {
  description?: string;
  default?: string;
  secret?: boolean;
}

export interface TemplateSection {
  displayName?: string;
  description?: string;
  config?: Record<string, TemplatePrompt>;
}

export interface InstantiateOptions {
  templateDir: string;
  targetDir: string;
  projectName: string;
  description: string;
  stack: string;
  /** Answers to the prompts, by the key as the template writes it. */
  answers: Record<string, string>;
  /** Top-level entries not copied (a clone has no node_modules or build output). */
  exclude?: string[];
  /** Where the target's node_modules symlink points (a Node.js template); none for YAML. */
  nodeModules?: string;
}

export interface Instantiated {
  /** The stack config file written, absolute. */
  stackFile: string;
  /** "<key as written>" -> value for each prompt, as `pulumi new` stored it. */
  config: Record<string, string>;
}

const PLACEHOLDERS = /\$\{(PROJECT|DESCRIPTION)\}/g;

export function readTemplateSection(templateDir: string): TemplateSection {
  const project = parse(readFileSync(join(templateDir, "Pulumi.yaml"), "utf8")) as { template?: TemplateSection };
  if (!project.template) throw new Error(`${templateDir}/Pulumi.yaml has no template: section`);
  return project.template;
}

/** Prompts that have no default: `pulumi new` cannot finish without an answer for each. */
export function promptsWithoutDefault(template: TemplateSection): string[] {
  return Object.entries(template.config ?? {})
    .filter(([, p]) => p.default === undefined)
    .map(([k]) => k);
}

export function instantiateTemplate(opts: InstantiateOptions): Instantiated {
  const template = readTemplateSection(opts.templateDir);
  const exclude = new Set([".git", "node_modules", ...(opts.exclude ?? [])]);
  cpSync(opts.templateDir, opts.targetDir, {
    recursive: true,
    filter: (src) => {
      const rel = relative(opts.templateDir, src);
      return rel === "" || !exclude.has(rel.split(sep)[0]!);
    },
  });
  substitutePlaceholders(opts.targetDir, exclude, opts);

  const projectFile = join(opts.targetDir, "Pulumi.yaml");
  const project = parse(readFileSync(projectFile, "utf8")) as Record<string, unknown>;
  project.name = opts.projectName;
  project.description = opts.description;
  delete project.template;
  writeFileSync(projectFile, stringify(project));

  const config: Record<string, string> = {};
  const stackConfig: Record<string, string> = {};
  for (const [key, prompt] of Object.entries(template.config ?? {})) {
    const value = opts.answers[key] ?? prompt.default;
    if (value === undefined) throw new Error(`no answer for the prompt "${key}" (${prompt.description ?? "no description"}) and it has no default`);
    config[key] = value;
    stackConfig[key.includes(":") ? key : `${opts.projectName}:${key}`] = value;
  }
  const stackConfigDir = typeof project.stackConfigDir === "string" ? project.stackConfigDir : ".";
  const stackFile = join(opts.targetDir, stackConfigDir, `Pulumi.${opts.stack}.yaml`);
  writeFileSync(stackFile, stringify({ config: stackConfig }));
  if (opts.nodeModules && !existsSync(join(opts.targetDir, "node_modules"))) symlinkSync(opts.nodeModules, join(opts.targetDir, "node_modules"), "dir");
  return { stackFile, config };
}

/** Files (relative to the template) whose text contains a placeholder. */
export function filesWithPlaceholders(dir: string, exclude: Set<string> = new Set([".git", "node_modules"])): string[] {
  const hits: string[] = [];
  walk(dir, dir, exclude, (file, rel) => {
    const text = readText(file);
    if (text !== undefined && new RegExp(PLACEHOLDERS.source).test(text)) hits.push(rel);
  });
  return hits;
}

function substitutePlaceholders(targetDir: string, exclude: Set<string>, opts: InstantiateOptions): void {
  walk(targetDir, targetDir, exclude, (file) => {
    const text = readText(file);
    if (text === undefined || !new RegExp(PLACEHOLDERS.source).test(text)) return;
    writeFileSync(file, text.replace(PLACEHOLDERS, (_m, name: string) => (name === "PROJECT" ? opts.projectName : opts.description)));
  });
}

/** Text content, or undefined for a binary file (a NUL byte in its first 8000 bytes, as git and Pulumi judge). */
function readText(file: string): string | undefined {
  const bytes = readFileSync(file);
  if (bytes.subarray(0, 8000).includes(0)) return undefined;
  return bytes.toString("utf8");
}

function walk(root: string, dir: string, exclude: Set<string>, visit: (file: string, rel: string) => void): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const rel = relative(root, path);
    if (exclude.has(rel.split(sep)[0]!)) continue;
    if (entry.isDirectory()) walk(root, path, exclude, visit);
    else if (entry.isFile()) visit(path, rel);
  }
}

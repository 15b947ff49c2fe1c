import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { RegistrySchema, SchemaStore, SchemaType } from "./schema-registry.js";

// Local schemas keyed by id (`schema_dir`): records in the Confluent wire format whose writers'
// schemas are files named `<id>.avsc`, `<id>.proto` or `<id>.json` (JSON Schema) in one
// directory, for clusters whose registry driftwatch cannot reach, or teams that keep their
// schemas in git. The directory is listed once when the store is made; a file is read the first
// time a record names its id.

/** The schema type of each file extension in a schema directory. */
export const schemaFileTypes: Readonly<Record<string, SchemaType>> = {
  ".avsc": "AVRO",
  ".proto": "PROTOBUF",
  ".json": "JSON",
};

/** The schema files of a directory by id; throws when it cannot be listed. */
export function schemaFilesIn(dir: string): Map<number, { file: string; type: SchemaType }> {
  const files = new Map<number, { file: string; type: SchemaType }>();
  for (const name of readdirSync(dir).sort()) {
    const match = /^(\d{1,10})(\.[a-z]+)$/.exec(name);
    const type = match === null ? undefined : schemaFileTypes[match[2]];
    if (match === null || type === undefined) continue;
    const id = Number(match[1]);
    // Ids are 32-bit signed in the wire header; 007.avsc and 7.avsc are the same id, first wins.
    if (id <= 0x7fffffff && !files.has(id)) files.set(id, { file: join(dir, name), type });
  }
  return files;
}

export class SchemaDirectory implements SchemaStore {
  private readonly files: Map<number, { file: string; type: SchemaType }>;
  private readonly loaded = new Map<number, RegistrySchema>();

  constructor(private readonly dir: string) {
    this.files = schemaFilesIn(dir);
  }

  get describe(): string {
    return `schema_dir ${this.dir}`;
  }

  cached(id: number): RegistrySchema | null | undefined {
    return this.files.has(id) ? this.loaded.get(id) : null;
  }

  async schemaById(id: number): Promise<RegistrySchema | null> {
    const known = this.cached(id);
    if (known !== undefined) return known;
    const entry = this.files.get(id);
    if (entry === undefined) return null;
    let text: string;
    try {
      text = readFileSync(entry.file, "utf8");
    } catch {
      // Deleted or unreadable since the directory was listed: as a registry without the id.
      this.files.delete(id);
      return null;
    }
    const schema: RegistrySchema = { type: entry.type, schema: text, versions: [] };
    this.loaded.set(id, schema);
    return schema;
  }
}

// Artifacts over /api/v1: collections, versions, manifests, lineage; their page URLs.
import { api, enc, shareToken } from "./api";
import { projectUrl } from "./router";

export const RUN_FILES_TYPE = "run-files";

export interface Collection {
  entity: string;
  project: string;
  name: string;
  type: string;
  description: string | null;
  created_at: number;
  version_count: number;
}

export interface Version {
  entity: string;
  project: string;
  name: string;
  type: string;
  version: number;
  digest: string;
  aliases: string[];
  size: number;
  file_count: number;
  created_at: number;
  description: string | null;
  metadata: Record<string, unknown>;
  run_id: string | null;
}

export interface ManifestFile {
  path: string;
  digest: string | null;
  size: number | null;
  ref?: string;
}

export interface LineageNode {
  id: string;
  kind: "artifact" | "run";
  entity: string;
  project: string;
  run_id?: string;
  name?: string;
  version?: number;
  type?: string;
}

export interface Lineage {
  nodes: LineageNode[];
  edges: { source: string; target: string; kind: "logged" | "used" }[];
}

interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Every item of a paged list endpoint. */
export async function fetchAll<T>(path: string, limit: number, signal?: AbortSignal): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await api(path, { params: { limit, cursor }, signal });
    all.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return all;
}

export function artifactsApi(entity: string, project: string, name?: string): string {
  return `/artifacts/${enc(entity)}/${enc(project)}` + (name ? `/${enc(name)}` : "");
}

export function artifactsUrl(entity: string, project: string, name?: string, version?: string): string {
  let url = `${projectUrl(entity, project)}/artifacts`;
  if (name) url += `/${enc(name)}`;
  if (name && version) url += `/${enc(version)}`;
  return url;
}

export function versionUrl(v: { entity: string; project: string; name?: string; version?: number }): string {
  return artifactsUrl(v.entity, v.project, v.name, `v${v.version}`);
}

export function runUrl(entity: string, project: string, runId: string): string {
  return `${projectUrl(entity, project)}/runs/${enc(runId)}`;
}

/** A blob's download URL (a share-link token travels along: a plain link sends no header). */
export function blobUrl(entity: string, project: string, digest: string): string {
  return withShare(`/api/v1/artifact-blobs/${enc(entity)}/${enc(project)}/${digest}`);
}

export function withShare(url: string): string {
  const token = shareToken();
  return token ? `${url}${url.includes("?") ? "&" : "?"}share=${enc(token)}` : url;
}

/** 1234567 -> "1.2 MB" (decimal units, like `ls -h --si`); bytes stay exact below 1 kB. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "";
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB", "PB"];
  let v = n;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

// A version's files as a folder tree with sizes; folders open and close (buttons, so Tab,
// Enter and Space work), every stored file downloads through the blob endpoint.
import { useMemo, useState } from "preact/hooks";
import { blobUrl, bytes, ManifestFile } from "../lib/artifacts";

interface Folder {
  name: string;
  path: string;
  size: number;
  count: number;
  folders: Map<string, Folder>;
  files: ManifestFile[];
}

function folder(name: string, path: string): Folder {
  return { name, path, size: 0, count: 0, folders: new Map(), files: [] };
}

export function buildTree(files: ManifestFile[]): Folder {
  const root = folder("", "");
  for (const f of files) {
    const parts = f.path.split("/");
    let node = root;
    const chain = [root];
    for (const part of parts.slice(0, -1)) {
      let next = node.folders.get(part);
      if (!next) {
        next = folder(part, node.path ? `${node.path}/${part}` : part);
        node.folders.set(part, next);
      }
      node = next;
      chain.push(node);
    }
    node.files.push(f);
    for (const n of chain) {
      n.size += f.size ?? 0;
      n.count += 1;
    }
  }
  return root;
}

const FILES_SHOWN = 500; // per folder, until "Show all"

export function FileTree({ files, entity, project }: { files: ManifestFile[]; entity: string; project: string }) {
  const root = useMemo(() => buildTree(files), [files]);
  // small trees open fully; large ones show the top level first
  const [open, setOpen] = useState<Set<string>>(() => {
    const all = new Set<string>();
    if (files.length <= 200) {
      const walk = (f: Folder) => f.folders.forEach((c) => (all.add(c.path), walk(c)));
      walk(root);
    }
    return all;
  });
  const toggle = (path: string) =>
    setOpen((s) => {
      const next = new Set(s);
      if (next.has(path)) next.delete(path);
      else next.add(path);
      return next;
    });
  const [full, setFull] = useState<Set<string>>(new Set());
  const rows: preact.JSX.Element[] = [];
  const walk = (f: Folder, depth: number) => {
    const indent = { paddingLeft: `${depth * 18 + 4}px` };
    for (const child of [...f.folders.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      const isOpen = open.has(child.path);
      rows.push(
        <tr key={`d:${child.path}`} class="folder" data-path={`${child.path}/`}>
          <td style={indent}>
            <button type="button" class="link tree-toggle" aria-expanded={isOpen} onClick={() => toggle(child.path)}>
              <span aria-hidden="true">{isOpen ? "▾" : "▸"}</span> {child.name}/
            </button>
            <span class="muted small"> {child.count} file{child.count === 1 ? "" : "s"}</span>
          </td>
          <td class="num">{bytes(child.size)}</td>
          <td />
        </tr>,
      );
      if (isOpen) walk(child, depth + 1);
    }
    const cut = f.files.length > FILES_SHOWN && !full.has(f.path);
    for (const file of cut ? f.files.slice(0, FILES_SHOWN) : f.files) {
      const name = file.path.slice(file.path.lastIndexOf("/") + 1);
      rows.push(
        <tr key={`f:${file.path}`} class="file" data-path={file.path}>
          <td style={indent} class="mono">
            <span class="file-name">{name}</span>
          </td>
          <td class="num" data-bytes={file.size ?? ""}>
            {bytes(file.size)}
          </td>
          <td>
            {file.digest ? (
              <a href={blobUrl(entity, project, file.digest)} download={name} aria-label={`Download ${file.path}`}>
                Download
              </a>
            ) : (
              <span class="mono muted" title="A reference: the file stays where it is">
                {file.ref}
              </span>
            )}
          </td>
        </tr>,
      );
    }
    if (cut)
      rows.push(
        <tr key={`more:${f.path}`}>
          <td style={indent} colSpan={3}>
            <button type="button" class="link" onClick={() => setFull((s) => new Set(s).add(f.path))}>
              Show all {f.files.length} files{f.path ? ` in ${f.path}/` : ""}
            </button>
          </td>
        </tr>,
      );
  };
  walk(root, 0);
  return (
    <table class="plain file-tree">
      <thead>
        <tr>
          <th>Path</th>
          <th class="num">Size</th>
          <th />
        </tr>
      </thead>
      <tbody>{rows}</tbody>
    </table>
  );
}

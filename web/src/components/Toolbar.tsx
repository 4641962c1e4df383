// The workspace's controls: search, filter builder, group by, column picker, chart options.
import { useState } from "preact/hooks";
import { Filter, FIXED_FIELDS, OPS, Op } from "../lib/filters";

export interface ToolbarProps {
  search: string;
  onSearch: (q: string) => void;
  filters: Filter[];
  onFilters: (f: Filter[]) => void;
  fields: string[]; // config.* and summary.* fields seen in the runs
  group: string;
  onGroup: (g: string) => void;
  columns: string[];
  onColumns: (c: string[]) => void;
}

export function Toolbar(p: ToolbarProps) {
  const [pickerQuery, setPickerQuery] = useState("");
  const allFields = [...FIXED_FIELDS, ...p.fields];
  const update = (i: number, f: Filter) => p.onFilters(p.filters.map((g, j) => (j === i ? f : g)));
  const groupable = ["group", "job_type", ...p.fields.filter((f) => f.startsWith("config."))];
  const matches = p.fields.filter((f) => f.toLowerCase().includes(pickerQuery.toLowerCase())).slice(0, 200);
  return (
    <div class="toolbar">
      <input type="search" class="search" placeholder="Search runs by name" aria-label="Search runs" value={p.search} onInput={(e) => p.onSearch((e.target as HTMLInputElement).value)} />
      <details class="dropdown filters">
        <summary>Filters{p.filters.length ? ` (${p.filters.length})` : ""}</summary>
        <div class="dropdown-body">
          <datalist id="filter-fields">
            {allFields.map((f) => (
              <option value={f} key={f} />
            ))}
          </datalist>
          {p.filters.map(([field, op, value], i) => (
            <div class="filter-row" key={i}>
              <input aria-label="Filter field" list="filter-fields" value={field} placeholder="config.lr" onChange={(e) => update(i, [(e.target as HTMLInputElement).value, op, value])} />
              <select aria-label="Filter operator" value={op} onChange={(e) => update(i, [field, (e.target as HTMLSelectElement).value as Op, value])}>
                {OPS.map((o) => (
                  <option value={o.op} key={o.op}>
                    {o.label}
                  </option>
                ))}
              </select>
              <input aria-label="Filter value" value={value} placeholder="value" onChange={(e) => update(i, [field, op, (e.target as HTMLInputElement).value])} />
              <button type="button" class="link" aria-label="Remove filter" onClick={() => p.onFilters(p.filters.filter((_, j) => j !== i))}>
                ×
              </button>
            </div>
          ))}
          <button type="button" onClick={() => p.onFilters([...p.filters, ["state", "$eq", ""]])}>
            + Add filter
          </button>
        </div>
      </details>
      <label class="inline">
        Group by{" "}
        <select aria-label="Group by" value={p.group} onChange={(e) => p.onGroup((e.target as HTMLSelectElement).value)}>
          <option value="">none</option>
          {groupable.map((g) => (
            <option value={g} key={g}>
              {g}
            </option>
          ))}
        </select>
      </label>
      <details class="dropdown">
        <summary>Columns</summary>
        <div class="dropdown-body column-picker">
          <input type="search" placeholder="Find a config key or metric" aria-label="Find a column" value={pickerQuery} onInput={(e) => setPickerQuery((e.target as HTMLInputElement).value)} />
          <div class="picker-list">
            {matches.map((f) => (
              <label key={f} class="picker-item">
                <input type="checkbox" checked={p.columns.includes(f)} onChange={() => p.onColumns(p.columns.includes(f) ? p.columns.filter((c) => c !== f) : [...p.columns, f])} /> {f}
              </label>
            ))}
          </div>
        </div>
      </details>
    </div>
  );
}

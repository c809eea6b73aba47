/**
 * How Docker's Go code writes values, for output that must match it byte
 * for byte: strconv.Quote, the CLI's Ellipsis, encoding/json (which escapes
 * < > & for HTML), time.Time.String() and go-units' HumanSize.
 */

const QUOTE_ESCAPES: Record<string, string> = {
  "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\\": "\\\\", '"': '\\"',
};

/** Go's strconv.Quote: printable Unicode stays, the rest is escaped. */
export function goQuote(s: string): string {
  if (/^[\x20-\x7e]*$/.test(s) && !/["\\]/.test(s)) return `"${s}"`; // the common case, without the walk
  let out = '"';
  for (const ch of s) {
    const esc = QUOTE_ESCAPES[ch];
    if (esc) { out += esc; continue; }
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]/u.test(ch) && ch !== " ") {
      out += cp > 0xffff ? `\\U${cp.toString(16).padStart(8, "0")}` : `\\u${cp.toString(16).padStart(4, "0")}`;
    } else out += ch;
  }
  return out + '"';
}

/** The Docker CLI's Ellipsis: at most `max` characters, the last one "…" when cut. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  return chars.slice(0, max - 1).join("") + "…";
}

/** encoding/json's output: HTML-sensitive characters escaped the way Go does. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

let zoneFormat: Intl.DateTimeFormat | undefined;

/** Go's time.Time.String() in local time, seconds precision: "2024-05-01 10:11:12 +0000 UTC". */
export function goTimeString(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? "-" : "+";
  const offText = `${sign}${p(Math.floor(Math.abs(off) / 60))}${p(Math.abs(off) % 60)}`;
  zoneFormat ??= new Intl.DateTimeFormat("en-US", { timeZoneName: "short" });
  let zone = zoneFormat.formatToParts(d).find((x) => x.type === "timeZoneName")?.value ?? "";
  // Go names a zone without an abbreviation by its offset ("+01"); Intl says "GMT+1"
  if (!/^[A-Z]{2,5}$/.test(zone)) zone = off % 60 ? offText : offText.slice(0, 3);
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${offText} ${zone}`;
}

const UNITS = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

/** go-units HumanSize (4 significant digits), what Docker prints for totals: "12.35kB". */
export function humanSizeTotal(bytes: number): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  return `${Number(size.toPrecision(4))}${UNITS[i]}`;
}

/**
 * `rr history` / `rr image history`: Docker's table from the config's
 * history, newest first, `<missing>` below the top, 0B for empty layers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { historyRows } from "../../src/cli/commands/history.ts";
import type { ImageRecord } from "../../src/store/image-store.ts";
import { integrationSkipReason, Sandbox } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";

const ID = `sha256:${"ab".repeat(32)}`;
const T = "2023-11-14T22:13:20Z";
const layer = (n: number, size: number) => ({ diffId: `sha256:${String(n).repeat(64)}`, blobDigest: `sha256:${String(n).repeat(64)}`, mediaType: "application/vnd.oci.image.layer.v1.tar", size });

function image(history: ImageRecord["config"]["history"], layers = [layer(1, 4_260_000), layer(2, 512)]): ImageRecord {
  return {
    id: ID, manifestDigest: ID, names: [], created: T, layers, size: 0,
    config: { architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) }, history },
  };
}

describe("historyRows()", () => {
  const rows = historyRows(image([
    { created: T, created_by: "/bin/sh -c #(nop) ADD file:0123456789abcdef0123456789abcdef in / " },
    { created: T, created_by: "/bin/sh -c #(nop)  CMD [\"sh\"]", empty_layer: true },
    { created: T, created_by: "/bin/sh -c echo\thi > /x", comment: "buildkit.dockerfile.v0" },
  ]), { now: Date.parse("2026-11-14T22:13:20Z") });

  test("puts the newest step first with the image id and <missing> below it", () => {
    expect(rows.map((r) => r.ID)).toEqual(["abababababab", "<missing>", "<missing>"]);
  });
  test("gives layer steps their layer's size in order and empty_layer steps 0B", () => {
    expect(rows.map((r) => r.Size)).toEqual(["512B", "0B", "4.26MB"]);
  });
  test("cuts CREATED BY at 45 characters with an ellipsis and turns tabs into spaces", () => {
    expect(rows[2]!.CreatedBy).toBe("/bin/sh -c #(nop) ADD file:0123456789abcdef0…");
    expect([...rows[2]!.CreatedBy].length).toBe(45);
    expect(rows[0]!.CreatedBy).toBe("/bin/sh -c echo hi > /x");
    expect(rows[0]!.Comment).toBe("buildkit.dockerfile.v0");
    expect(rows[0]!.CreatedSince).toBe("3 years ago");
  });
  test("--no-trunc keeps the whole command and the full id; -H=false prints raw values", () => {
    const raw = historyRows(image([{ created: T, created_by: "x".repeat(60) }], [layer(1, 1234)]), { noTrunc: true, human: false });
    expect(raw).toEqual([{ ID, CreatedSince: T, CreatedAt: T, CreatedBy: "x".repeat(60), Size: "1234", Comment: "" }]);
  });
  test("an image without history gets one row per layer", () => {
    expect(historyRows(image(undefined)).map((r) => [r.ID, r.Size])).toEqual([["abababababab", "512B"], ["<missing>", "4.26MB"]]);
  });
});

const skip = integrationSkipReason();
describe.skipIf(!!skip)(`rr history${skip ? ` — skipped: ${skip}` : ""}`, () => {
  let sb: Sandbox;
  beforeAll(() => {
    sb = new Sandbox();
    sb.ok("root", ["load", "-i", writeFixtures(sb).multi]);
  });
  afterAll(() => sb?.cleanup());

  test("prints Docker's table, and `rr image history` is the same command", () => {
    const out = sb.ok("root", ["history", "multi"]);
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^IMAGE {10}CREATED {7}CREATED BY {11}SIZE {6}COMMENT$/);
    expect(lines[1]).toMatch(/^[0-9a-f]{12} {3}\d+ years ago {3}rr fixture layer 2 {3}\d+(\.\d+)?kB$/);
    expect(lines[2]).toMatch(/^<missing> {6}\d+ years ago {3}rr fixture layer 1 {3}\d+(\.\d+)?MB$/);
    expect(sb.ok("root", ["image", "history", "multi"])).toBe(out);
  });
  test("-q --no-trunc prints full ids, --format takes a template", () => {
    const id = sb.ok("root", ["images", "-q", "--no-trunc", "multi"]).trim();
    expect(sb.ok("root", ["history", "-q", "--no-trunc", "multi"])).toBe(`${id}\n<missing>\n`);
    expect(sb.ok("root", ["history", "--format", "{{.CreatedBy}}|{{.Size}}", "multi"])).toMatch(/^rr fixture layer 2\|[\d.]+kB\nrr fixture layer 1\|[\d.]+MB\n$/);
  });
  test("an unknown image is exit 1 with No such image", () => {
    const r = sb.rr("root", ["history", "nosuch"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toStartWith("rr: No such image: nosuch\n");
  });
});

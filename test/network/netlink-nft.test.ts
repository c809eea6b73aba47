/**
 * The holder's nftables batch against what nft 1.0.6 sends for the same
 * rules (golden bytes below). Captured as root with
 *   unshare -rn strace -e trace=sendmsg -e write=3 nft -f rules.nft
 * for these rules.nft (tabs for indentation); seq zeroed. rr differs in one
 * way only: it sets NLM_F_ACK on every message but the batch delimiters, to
 * wait for each answer.
 *
 *   table ip rr
 *   delete table ip rr
 *   table ip rr {
 *     chain postrouting {
 *       type nat hook postrouting priority 100; policy accept;
 *       oifname "tap0" masquerade
 *     }
 *     chain forward {
 *       type filter hook forward priority 0; policy accept;
 *       iifname "rr-*" oifname "rr-*" drop
 *     }
 *   }
 */
import { describe, expect, test } from "bun:test";
import { holderRules } from "../../src/network/nft-rules.ts";

const GOLDEN = [
  "140000001000010000000000000000000000000a24000000000a01000100000000000000020000000700010072720000",
  "08000200000000001c000000020a0100020000000000000002000000070001007272000024000000000a010003000000",
  "00000000020000000700010072720000080002000000000050000000030a010404000000000000000200000007000100",
  "7272000010000300706f7374726f7574696e6700080007006e6174000800050000000001140004800800010000000004",
  "080002000000006450000000030a010405000000000000000200000007000100727200000c000300666f727761726400",
  "0b00070066696c746572000008000500000000011400048008000100000000020800020000000000a0000000060a010c",
  "060000000000000002000000070001007272000010000200706f7374726f7574696e6700740004802400018009000100",
  "6d6574610000000014000280080002000000000708000100000000013800018008000100636d70002c00028008000100",
  "00000001080002000000000018000380140001007461703000000000000000000000000014000180090001006d617371",
  "0000000004000280fc000000060a010c07000000000000000200000007000100727200000c000200666f727761726400",
  "d400048024000180090001006d6574610000000014000280080002000000000608000100000000012c00018008000100",
  "636d700020000280080001000000000108000200000000000c0003800700010072722d0024000180090001006d657461",
  "0000000014000280080002000000000708000100000000012c00018008000100636d7000200002800800010000000001",
  "08000200000000000c0003800700010072722d00300001800e000100696d6d6564696174650000001c00028008000100",
  "00000000100002800c0002800800010000000000140000001100010008000000000000000000000a",
].join("");

/** Walks the messages: zero seq; add NLM_F_ACK where rr does. */
function normalize(bytes: Uint8Array, addAck: boolean): Uint8Array {
  const out = Uint8Array.from(bytes);
  const v = new DataView(out.buffer);
  const types: number[] = [];
  for (let off = 0; off < out.length; off += (v.getUint32(off, true) + 3) & ~3) {
    const type = v.getUint16(off + 4, true);
    types.push(type);
    v.setUint32(off + 8, 0, true);
    if (addAck && type !== 16 && type !== 17) v.setUint16(off + 6, v.getUint16(off + 6, true) | 4, true);
  }
  expect(types.length).toBe(9);
  return out;
}

describe("nftables batch of the network holder", () => {
  test("matches nft's bytes for the same rules (712 bytes, 9 messages)", () => {
    const golden = Uint8Array.from(Buffer.from(GOLDEN, "hex"));
    expect(golden.length).toBe(712);
    const ours = holderRules("tap0");
    expect(ours.patches).toEqual([]);
    expect(Buffer.from(normalize(ours.bytes, false)).toString("hex")).toBe(Buffer.from(normalize(golden, true)).toString("hex"));
  });

  test("every message but BATCH_BEGIN/END asks for an ack, and seqs are left to the helper", () => {
    const b = holderRules("tap0").bytes, v = new DataView(b.buffer);
    const flags: number[] = [];
    for (let off = 0; off < b.length; off += v.getUint32(off, true)) {
      expect(v.getUint32(off + 8, true)).toBe(0);
      flags.push(v.getUint16(off + 6, true));
    }
    expect(flags).toEqual([0x1, 0x5, 0x5, 0x5, 0x405, 0x405, 0xc05, 0xc05, 0x1]);
  });

  test("another egress interface changes only the compared name", () => {
    const a = Buffer.from(holderRules("tap0").bytes), b = Buffer.from(holderRules("eth9").bytes);
    expect(b.length).toBe(a.length);
    const diff = [...a.keys()].filter((i) => a[i] !== b[i]);
    expect(diff.length).toBe(4);
    expect(b.subarray(diff[0]!, diff[0]! + 16).toString("latin1")).toBe("eth9" + "\0".repeat(12));
  });

  test("bad interface names are refused", () => {
    expect(() => holderRules("tap/0")).toThrow(/invalid interface name/);
    expect(() => holderRules("x".repeat(16))).toThrow(/invalid interface name/);
    expect(() => holderRules("tap0", "rr/*")).toThrow(/invalid interface name/);
  });
});

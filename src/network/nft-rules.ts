/**
 * The network holder's nftables rules as one NETLINK_NETFILTER batch, so no
 * nft binary is needed. Byte for byte what `nft -f` sends for (golden test:
 * test/network/netlink-nft.test.ts), plus NLM_F_ACK on each message so the
 * helper can wait for every answer:
 *
 *   table ip rr                 # create-if-missing, then delete, then
 *   delete table ip rr          # re-create: the batch is idempotent and atomic
 *   table ip rr {
 *     chain postrouting { type nat hook postrouting priority 100; policy accept;
 *       oifname "<egress>" masquerade }
 *     chain forward { type filter hook forward priority 0; policy accept;
 *       iifname "rr-*" oifname "rr-*" drop }
 *   }
 *
 * The forward rule isolates networks: traffic routed from one rr bridge to
 * another is dropped. Traffic between two containers on the same bridge is
 * bridged, not routed, and never reaches this hook — unless br_netfilter
 * hands bridged packets to it (in and out device: the bridge itself), so the
 * holder turns net.bridge.bridge-nf-call-iptables off (measured: with it on,
 * this rule also cut same-bridge traffic).
 */
import { NLA_F_NESTED, NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NlWriter, checkIfName, concatMessages, type NlMessage } from "./netlink.ts";

export const NETLINK_NETFILTER = 12;
export const RR_TABLE = "rr";

const NFNL_MSG_BATCH_BEGIN = 16, NFNL_MSG_BATCH_END = 17, NFNL_SUBSYS_NFTABLES = 10;
const NFT_MSG_NEWTABLE = 0, NFT_MSG_DELTABLE = 2, NFT_MSG_NEWCHAIN = 3, NFT_MSG_NEWRULE = 6;
const NFPROTO_UNSPEC = 0, NFPROTO_IPV4 = 2;
const NFTA_TABLE_NAME = 1, NFTA_TABLE_FLAGS = 2;
const NFTA_CHAIN_TABLE = 1, NFTA_CHAIN_HOOK = 4, NFTA_CHAIN_POLICY = 5, NFTA_CHAIN_NAME = 3, NFTA_CHAIN_TYPE = 7;
const NFTA_HOOK_HOOKNUM = 1, NFTA_HOOK_PRIORITY = 2;
const NFTA_RULE_TABLE = 1, NFTA_RULE_CHAIN = 2, NFTA_RULE_EXPRESSIONS = 4;
const NFTA_LIST_ELEM = 1, NFTA_EXPR_NAME = 1, NFTA_EXPR_DATA = 2;
const NFTA_META_DREG = 1, NFTA_META_KEY = 2, NFT_META_IIFNAME = 6, NFT_META_OIFNAME = 7;
const NFTA_CMP_SREG = 1, NFTA_CMP_OP = 2, NFTA_CMP_DATA = 3, NFT_CMP_EQ = 0;
const NFTA_DATA_VALUE = 1, NFTA_DATA_VERDICT = 2, NFTA_VERDICT_CODE = 1;
const NFTA_IMMEDIATE_DREG = 1, NFTA_IMMEDIATE_DATA = 2;
const NFT_REG_VERDICT = 0, NFT_REG_1 = 1, NF_DROP = 0, NF_ACCEPT = 1;
const NF_INET_FORWARD = 2, NF_INET_POST_ROUTING = 4;
const IFNAMSIZ = 16;

function nfMsg(type: number, flags: number, family: number, resId = 0): NlWriter {
  return new NlWriter(type, flags).u8(family).u8(0).u16(((resId & 0xff) << 8) | (resId >> 8)); // res_id is big-endian
}

const nft = (msg: number) => (NFNL_SUBSYS_NFTABLES << 8) | msg;

function table(msg: number): NlWriter {
  const w = nfMsg(nft(msg), NLM_F_ACK, NFPROTO_IPV4).attrStr(NFTA_TABLE_NAME, RR_TABLE);
  return msg === NFT_MSG_NEWTABLE ? w.attrU32be(NFTA_TABLE_FLAGS, 0) : w;
}

function baseChain(name: string, type: string, hook: number, priority: number): NlMessage {
  return nfMsg(nft(NFT_MSG_NEWCHAIN), NLM_F_ACK | NLM_F_CREATE, NFPROTO_IPV4)
    .attrStr(NFTA_CHAIN_TABLE, RR_TABLE)
    .attrStr(NFTA_CHAIN_NAME, name)
    .attrStr(NFTA_CHAIN_TYPE, type)
    .attrU32be(NFTA_CHAIN_POLICY, NF_ACCEPT)
    .nest(NFTA_CHAIN_HOOK | NLA_F_NESTED, (h) => h.attrU32be(NFTA_HOOK_HOOKNUM, hook).attrU32be(NFTA_HOOK_PRIORITY, priority))
    .done();
}

type Expr = (w: NlWriter) => void;

function expr(name: string, data: Expr): Expr {
  return (w) => w.nest(NFTA_LIST_ELEM | NLA_F_NESTED, (e) => e.attrStr(NFTA_EXPR_NAME, name).nest(NFTA_EXPR_DATA | NLA_F_NESTED, data));
}

/** meta iifname/oifname == name; "prefix*" compares only the prefix, as nft does. */
function ifnameIs(key: number, pattern: string): Expr[] {
  const wildcard = pattern.endsWith("*");
  const name = wildcard ? pattern.slice(0, -1) : pattern;
  checkIfName(wildcard ? `${name}x` : name);
  const value = new Uint8Array(wildcard ? name.length : IFNAMSIZ);
  value.set(new TextEncoder().encode(name));
  return [
    expr("meta", (d) => d.attrU32be(NFTA_META_KEY, key).attrU32be(NFTA_META_DREG, NFT_REG_1)),
    expr("cmp", (d) => d.attrU32be(NFTA_CMP_SREG, NFT_REG_1).attrU32be(NFTA_CMP_OP, NFT_CMP_EQ)
      .nest(NFTA_CMP_DATA | NLA_F_NESTED, (v) => v.attr(NFTA_DATA_VALUE, value))),
  ];
}

const masquerade: Expr = expr("masq", () => {});
const drop: Expr = expr("immediate", (d) => d.attrU32be(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT)
  .nest(NFTA_IMMEDIATE_DATA | NLA_F_NESTED, (v) => v.nest(NFTA_DATA_VERDICT | NLA_F_NESTED, (c) => c.attrU32be(NFTA_VERDICT_CODE, NF_DROP))));

function rule(chain: string, exprs: Expr[]): NlMessage {
  return nfMsg(nft(NFT_MSG_NEWRULE), NLM_F_ACK | NLM_F_CREATE | NLM_F_APPEND, NFPROTO_IPV4)
    .attrStr(NFTA_RULE_TABLE, RR_TABLE)
    .attrStr(NFTA_RULE_CHAIN, chain)
    .nest(NFTA_RULE_EXPRESSIONS | NLA_F_NESTED, (w) => exprs.forEach((e) => e(w)))
    .done();
}

/** The whole batch (BATCH_BEGIN … BATCH_END), to send on NETLINK_NETFILTER. */
export function holderRules(egressIf: string, bridgePattern = "rr-*"): NlMessage {
  return concatMessages([
    nfMsg(NFNL_MSG_BATCH_BEGIN, 0, NFPROTO_UNSPEC, NFNL_SUBSYS_NFTABLES).done(),
    table(NFT_MSG_NEWTABLE).done(),
    table(NFT_MSG_DELTABLE).done(),
    table(NFT_MSG_NEWTABLE).done(),
    baseChain("postrouting", "nat", NF_INET_POST_ROUTING, 100),
    baseChain("forward", "filter", NF_INET_FORWARD, 0),
    rule("postrouting", [...ifnameIs(NFT_META_OIFNAME, egressIf), masquerade]),
    rule("forward", [...ifnameIs(NFT_META_IIFNAME, bridgePattern), ...ifnameIs(NFT_META_OIFNAME, bridgePattern), drop]),
    nfMsg(NFNL_MSG_BATCH_END, 0, NFPROTO_UNSPEC, NFNL_SUBSYS_NFTABLES).done(),
  ]);
}

/**
 * `-u user[:group]` as Docker resolves it: names looked up in the image's
 * /etc/passwd and /etc/group, numeric ids accepted as they are, HOME and
 * supplementary groups from those files.
 */
import { RrError } from "../errors.ts";

export interface ResolvedUser {
  uid: number;
  gid: number;
  home: string;
  additionalGids: number[];
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

export function parsePasswd(text: string): PasswdEntry[] {
  return text.split("\n").flatMap((line) => {
    const f = line.split(":");
    if (f.length < 7 || line.startsWith("#")) return [];
    return [{ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! }];
  });
}

export function parseGroup(text: string): GroupEntry[] {
  return text.split("\n").flatMap((line) => {
    const f = line.split(":");
    if (f.length < 4 || line.startsWith("#")) return [];
    return [{ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(",").filter(Boolean) }];
  });
}

const isNumeric = (s: string) => /^[0-9]+$/.test(s);

export function resolveUser(spec: string | undefined, passwdText = "", groupText = ""): ResolvedUser {
  const [userPart = "", groupPart] = (spec || "0").split(":", 2);
  const passwd = parsePasswd(passwdText);
  const groups = parseGroup(groupText);
  let entry = isNumeric(userPart) ? passwd.find((p) => p.uid === Number(userPart)) : passwd.find((p) => p.name === userPart);
  if (!entry && !isNumeric(userPart)) {
    throw new RrError(`unable to find user ${userPart}: no matching entries in passwd file`, {
      hint: "Use a user that exists in the image's /etc/passwd, or a numeric uid[:gid].",
    });
  }
  const uid = entry ? entry.uid : Number(userPart);
  let gid = entry ? entry.gid : 0;
  if (groupPart !== undefined && groupPart !== "") {
    if (isNumeric(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw new RrError(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = g.gid;
    }
  }
  const name = entry?.name;
  const additionalGids = name
    ? [gid, ...groups.filter((g) => g.members.includes(name) && g.gid !== gid).map((g) => g.gid)]
    : [gid];
  return { uid, gid, home: entry?.home || "/", additionalGids };
}

import { describe, expect, test } from "bun:test";
import { asStruct, renderTemplate } from "../../src/cli/go-template.ts";
import { UsageError } from "../../src/errors.ts";

const data = {
  Id: "sha256:abc",
  RepoTags: ["busybox:latest", "bb:1"],
  Config: { Cmd: ["sh", "-c", "echo hi"], Entrypoint: null, Env: ["A=1"], Labels: { b: "2", a: "1" }, WorkingDir: "" },
  Size: 4261550,
  State: { Running: false },
  Networks: { side: { IPAddress: "10.30.0.2" }, hadoop: { IPAddress: "172.18.0.2" } },
};

describe("renderTemplate()", () => {
  const cases: [string, string][] = [
    ["{{.Id}}", "sha256:abc"],
    ["id={{ .Id }}!", "id=sha256:abc!"],
    ["{{.Config.Cmd}}", "[sh -c echo hi]"],
    ["{{json .Config.Cmd}}", '["sh","-c","echo hi"]'],
    ["{{json .Config.Entrypoint}}", "null"],
    ["{{.Config.Entrypoint}}", "<nil>"],
    ["{{.Config.Nope}}", "<no value>"],
    ["{{.Config.Labels}}", "map[a:1 b:2]"],
    ["{{index .RepoTags 0}}", "busybox:latest"],
    ["{{index .Config.Labels \"b\"}}", "2"],
    ["{{len .RepoTags}}", "2"],
    ["{{.Size}}", "4261550"],
    ["{{.State.Running}}", "false"],
    ["{{join .RepoTags \", \"}}", "busybox:latest, bb:1"],
    ["{{.Id | upper}}", "SHA256:ABC"],
    ["{{range .RepoTags}}[{{.}}]{{end}}", "[busybox:latest][bb:1]"],
    ["{{range .Config.Nope}}x{{else}}none{{end}}", "none"],
    ["{{if .State.Running}}up{{else}}down{{end}}", "down"],
    ["{{if eq .Id \"sha256:abc\"}}same{{end}}", "same"],
    ["{{if .Config.WorkingDir}}w{{else if .Config.Env}}env{{else}}none{{end}}", "env"],
    ["{{with .Config}}{{.WorkingDir}}|{{$.Id}}{{end}}", "|sha256:abc"],
    ["{{printf \"%s has %d tags\" .Id (len .RepoTags)}}", "sha256:abc has 2 tags"],
    ["a  {{- .Id -}}  b", "asha256:abcb"],
    ["{{/* a comment */}}x", "x"],
    ["{{json .Config.Labels}}", '{"b":"2","a":"1"}'],
    // variables and (pipeline).Field: Docker's most quoted inspect idioms
    ["{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", "a=1;b=2;"],
    ["{{range $i, $t := .RepoTags}}{{$i}}:{{$t}} {{end}}", "0:busybox:latest 1:bb:1 "],
    ["{{range $t := .RepoTags}}{{$t}}/{{$.Id}} {{end}}", "busybox:latest/sha256:abc bb:1/sha256:abc "],
    ["{{range $k, $v := .Networks}}{{$k}} {{$v.IPAddress}}|{{end}}", "hadoop 172.18.0.2|side 10.30.0.2|"],
    ["{{$n := len .RepoTags}}{{$n}} tags{{if gt $n 1}} (many){{end}}", "2 tags (many)"],
    ["{{$x := 1}}{{range .RepoTags}}{{$x = 2}}{{end}}{{$x}}", "2"],
    ["{{with $c := .Config}}{{$c.Env}}{{end}}", "[A=1]"],
    ["{{(index .RepoTags 1)}}", "bb:1"],
    ["{{(index .Networks \"side\").IPAddress}}", "10.30.0.2"],
    ["{{(.Config).Labels.a}}", "1"],
  ];
  for (const [tpl, want] of cases) {
    test(`renders ${tpl}`, () => expect(renderTemplate(tpl, data)).toBe(want));
  }

  test("reports what it cannot parse as a usage error", () => {
    expect(() => renderTemplate("{{.Id", data)).toThrow(UsageError);
    expect(() => renderTemplate("{{nosuchfunc .Id}}", data)).toThrow('function "nosuchfunc" not defined');
    expect(() => renderTemplate("{{if .Id}}x", data)).toThrow("missing {{end}}");
    expect(() => renderTemplate("{{index .RepoTags 5}}", data)).toThrow("index out of range");
    expect(() => renderTemplate("{{$nope}}", data)).toThrow('undefined variable "$nope"');
    expect(() => renderTemplate("{{$nope = 1}}", data)).toThrow('undefined variable "$nope"');
    expect(() => renderTemplate("{{with $a, $b := .Id}}{{end}}", data)).toThrow("too many declarations");
    expect(() => renderTemplate("{{range .RepoTags}}{{$t := .}}{{end}}{{$t}}", data)).toThrow('undefined variable "$t"');
    expect(() => renderTemplate("{{.Id)}}", data)).toThrow('unexpected ")"');
  });
});

describe("asStruct()", () => {
  test("a listing's row lacks a field: an error naming it and the fields there are; maps inside still say <no value>", () => {
    const row = asStruct(Object.defineProperty({ Name: "hadoop", Labels: { a: "1" } }, "Label", { value: (k: string) => k, enumerable: false }));
    expect(renderTemplate('{{.Name}} {{.Label "x"}} {{.Labels.nope}}', row)).toBe("hadoop x <no value>");
    let err: unknown;
    try { renderTemplate("{{.Name}}\t{{.Subnet}}", row); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe("template: can't evaluate field Subnet");
    expect((err as UsageError).hint).toBe("The fields are Label, Labels, Name.");
    expect(renderTemplate("{{.Subnet}}", { Name: "plain" })).toBe("<no value>"); // inspect's JSON documents stay maps
  });
});

import { describe, expect, test } from "bun:test";
import { renderTemplate } from "../../src/cli/go-template.ts";
import { UsageError } from "../../src/errors.ts";

const data = {
  Id: "sha256:abc",
  RepoTags: ["busybox:latest", "bb:1"],
  Config: { Cmd: ["sh", "-c", "echo hi"], Entrypoint: null, Env: ["A=1"], Labels: { b: "2", a: "1" }, WorkingDir: "" },
  Size: 4261550,
  State: { Running: false },
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
  ];
  for (const [tpl, want] of cases) {
    test(`renders ${tpl}`, () => expect(renderTemplate(tpl, data)).toBe(want));
  }

  test("reports what it cannot parse as a usage error", () => {
    expect(() => renderTemplate("{{.Id", data)).toThrow(UsageError);
    expect(() => renderTemplate("{{nosuchfunc .Id}}", data)).toThrow('function "nosuchfunc" not defined');
    expect(() => renderTemplate("{{if .Id}}x", data)).toThrow("missing {{end}}");
    expect(() => renderTemplate("{{index .RepoTags 5}}", data)).toThrow("index out of range");
  });
});

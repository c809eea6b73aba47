import { describe, expect, test } from "bun:test";
import { applyConfigChanges, parseConfigChanges } from "../../../src/image/config-changes.ts";

const apply = (config: object, ...changes: string[]) => applyConfigChanges(config, parseConfigChanges(changes));

describe("commit --change instructions", () => {
  test("CMD and ENTRYPOINT take the JSON form or the shell form", () => {
    expect(apply({}, 'CMD ["echo", "hi"]').Cmd).toEqual(["echo", "hi"]);
    expect(apply({}, "CMD echo hi").Cmd).toEqual(["/bin/sh", "-c", "echo hi"]);
    expect(apply({}, "entrypoint [\"/init\"]").Entrypoint).toEqual(["/init"]);
  });

  test("a new ENTRYPOINT drops the inherited CMD unless CMD is set too", () => {
    expect(apply({ Cmd: ["sh"] }, 'ENTRYPOINT ["/e"]').Cmd).toBeUndefined();
    expect(apply({ Cmd: ["sh"] }, 'CMD ["x"]', 'ENTRYPOINT ["/e"]').Cmd).toEqual(["x"]);
  });

  test("ENV and LABEL: KEY=VALUE pairs with quotes, or KEY VALUE; ENV replaces a key", () => {
    expect(apply({ Env: ["A=1", "PATH=/bin"] }, 'ENV A=2 B="two words"').Env).toEqual(["PATH=/bin", "A=2", "B=two words"]);
    expect(apply({}, "ENV GREETING hello world").Env).toEqual(["GREETING=hello world"]);
    expect(apply({ Labels: { a: "1" } }, "LABEL b=2 'c d'=3").Labels).toEqual({ a: "1", b: "2", "c d": "3" });
  });

  test("EXPOSE, VOLUME, USER, STOPSIGNAL, ONBUILD", () => {
    const c = apply({}, "EXPOSE 80 53/udp 8000-8001", 'VOLUME ["/data"]', "VOLUME /a /b", "USER app:app", "STOPSIGNAL SIGINT", "ONBUILD RUN x");
    expect(Object.keys(c.ExposedPorts!)).toEqual(["80/tcp", "53/udp", "8000/tcp", "8001/tcp"]);
    expect(Object.keys(c.Volumes!)).toEqual(["/data", "/a", "/b"]);
    expect(c.User).toBe("app:app");
    expect(c.StopSignal).toBe("SIGINT");
    expect(c.OnBuild).toEqual(["RUN x"]);
  });

  test("a relative WORKDIR is taken from the current one", () => {
    expect(apply({ WorkingDir: "/srv" }, "WORKDIR app/../web").WorkingDir).toBe("/srv/web");
    expect(apply({}, "WORKDIR /x/").WorkingDir).toBe("/x");
  });

  test("the input config is not modified", () => {
    const base = { Env: ["A=1"] };
    apply(base, "ENV A=2");
    expect(base.Env).toEqual(["A=1"]);
  });

  test("RUN, an empty argument and a bad port are refused before anything happens", () => {
    expect(() => parseConfigChanges(["RUN make"])).toThrow("run is not a valid change command");
    expect(() => parseConfigChanges(["CMD"])).toThrow("CMD requires at least one argument");
    expect(() => parseConfigChanges(["EXPOSE 99999"])).toThrow('invalid port "99999"');
    expect(() => parseConfigChanges(["ENV =x"])).toThrow("is not KEY=VALUE");
  });
});

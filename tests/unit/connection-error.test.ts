import { describe, expect, it } from "vitest";
import { describeConnectionError } from "@/lib/db/connection-error";

const url = "postgres://app:s3cr%40t-pw@db.internal:6543/webhooks";

describe("describeConnectionError", () => {
  it.each([
    [{ code: "ENOTFOUND" }, 'host "db.internal" was not found'],
    [{ code: "ECONNREFUSED" }, "nothing is listening at db.internal:6543"],
    [{ code: "CONNECT_TIMEOUT" }, "connecting to db.internal:6543 timed out"],
    [{ code: "28P01" }, 'refused the login for user "app"'],
    [{ code: "3D000" }, 'has no database "webhooks"'],
  ])("names the problem for %o", (error, expected) => {
    const line = describeConnectionError(error, url);
    expect(line).toContain(expected);
    expect(line).not.toContain("\n");
  });

  it("finds the code inside an AggregateError (several addresses refused)", () => {
    const error = Object.assign(new AggregateError([{ code: "ECONNREFUSED" }]), { errors: [{ code: "ECONNREFUSED" }] });
    expect(describeConnectionError(error, url)).toContain("nothing is listening");
  });

  it("never repeats the password, even when the driver's message contains it", () => {
    const line = describeConnectionError(new Error("bad thing with s3cr@t-pw inside"), url);
    expect(line).not.toContain("s3cr@t-pw");
    expect(line).toContain("***");
  });
});

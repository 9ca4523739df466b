import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** A PEM certificate and its unencrypted PEM key. */
export interface CertificateAndKey {
  certificate: string;
  key: string;
}

export interface TestPki {
  ca: CertificateAndKey;
  /** The receiver's certificate, for 127.0.0.1 and localhost, signed by `ca`. */
  server: CertificateAndKey;
  /** Signed by `ca`: the receiver trusts it. */
  client: CertificateAndKey;
  /** Signed by `ca`, already expired. */
  expiredClient: CertificateAndKey;
  /** Signed by another CA: the receiver does not trust it. */
  strangerClient: CertificateAndKey;
}

/** Makes a small PKI with Debian's openssl (P-256 keys), in a temporary folder removed afterwards. */
export function makeTestPki(): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsw-pki-"));
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const read = (name: string) => fs.readFileSync(path.join(dir, name), "utf8");
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  try {
    const rootCa = (name: string) => {
      run("req", "-x509", ...newKey, "-keyout", `${name}.key`, "-out", `${name}.pem`, "-subj", `/CN=${name}`, "-days", "2");
      return { certificate: read(`${name}.pem`), key: read(`${name}.key`) };
    };
    const issue = (name: string, ca: string, days: string, extensions?: string) => {
      run("req", ...newKey, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
      if (extensions) fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
      run("x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-out", `${name}.pem`, "-days", days, ...(extensions ? ["-extfile", `${name}.ext`] : []));
      return { certificate: read(`${name}.pem`), key: read(`${name}.key`) };
    };
    const ca = rootCa("Test CA");
    rootCa("Stranger CA");
    return {
      ca,
      server: issue("receiver", "Test CA", "2", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"),
      client: issue("loyalty-sender", "Test CA", "2"),
      expiredClient: issue("expired-sender", "Test CA", "-1"),
      strangerClient: issue("stranger-sender", "Stranger CA", "2"),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

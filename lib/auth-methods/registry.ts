import type { AuthMethod } from "./method-names";
import type { AuthMethodModule } from "./types";
import { awsMethod } from "./aws";
import { awsS3Method } from "./aws-s3";
import { basicMethod } from "./basic";
import { jwtMethod } from "./jwt";
import { noneMethod } from "./none";
import { oauth2Method } from "./oauth2";
import { oauth2ClientCredentialsMethod } from "./oauth2-client-credentials";
import { oauth2JwtPrivateKeyMethod } from "./oauth2-jwt-private-key";
import { staticHeaderMethod } from "./static-header";

/** Every authentication method; a method missing here does not compile. */
export const authMethods = {
  none: noneMethod,
  basic: basicMethod,
  "static-header": staticHeaderMethod,
  aws: awsMethod,
  "aws-s3": awsS3Method,
  jwt: jwtMethod,
  oauth2: oauth2Method,
  "oauth2-client-credentials": oauth2ClientCredentialsMethod,
  "oauth2-jwt-private-key": oauth2JwtPrivateKeyMethod,
} satisfies {
  // Each module's Params differ; `any` here only lets them share one map, and `method: M` pins each key.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [M in AuthMethod]: AuthMethodModule<any> & { method: M };
};

export function authMethodModule(method: AuthMethod): AuthMethodModule<Record<string, unknown>> {
  return authMethods[method] as unknown as AuthMethodModule<Record<string, unknown>>;
}

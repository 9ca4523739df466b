// @20minutes/s3rver ships no types: the parts the tests use.
declare module "@20minutes/s3rver" {
  import type { AddressInfo } from "node:net";
  import type { Readable } from "node:stream";

  interface S3rverOptions {
    address?: string;
    port?: number;
    directory?: string;
    silent?: boolean;
    resetOnClose?: boolean;
    configureBuckets?: { name: string }[];
  }

  class S3rver {
    constructor(options?: S3rverOptions);
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    store: {
      listObjects(bucket: string, options: { prefix?: string; maxKeys: number }): Promise<{ objects: { key: string }[] }>;
      getObject(bucket: string, key: string): Promise<{ content: Readable } | null>;
    };
  }
  export = S3rver;
}

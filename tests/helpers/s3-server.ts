import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import S3rver from "@20minutes/s3rver";

export interface S3Server {
  /** Path-style endpoint: objects live at `${url}/${bucket}/${key}`. */
  url: string;
  /** s3rver's built-in account (it verifies SigV4 signatures against this secret). */
  accessKeyId: string;
  secretAccessKey: string;
  /** The object's bytes as stored under exactly this key, or null. */
  storedObject(bucket: string, key: string): Promise<Buffer | null>;
  /** Every key in the bucket. */
  keys(bucket: string): Promise<string[]>;
  close(): Promise<void>;
}

/** @20minutes/s3rver on 127.0.0.1 (random port), storing in a fresh temporary directory. */
export async function startS3Server(buckets: string[]): Promise<S3Server> {
  const directory = await mkdtemp(path.join(os.tmpdir(), "s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    directory,
    silent: true,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  return {
    url: `http://127.0.0.1:${port}`,
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
    async storedObject(bucket, key) {
      const object = await server.store.getObject(bucket, key);
      if (!object) return null;
      const chunks: Buffer[] = [];
      for await (const chunk of object.content) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    async keys(bucket) {
      const { objects } = await server.store.listObjects(bucket, { maxKeys: 1000 });
      return objects.map((object) => object.key);
    },
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

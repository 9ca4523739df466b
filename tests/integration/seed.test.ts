import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listCustomers } from "@/lib/customers/list-customers";
import { SAMPLE_CUSTOMERS, seedCustomers } from "@/lib/db/seed";
import { createTestDatabase, type TestDatabase } from "../helpers/database";

let database: TestDatabase;
beforeAll(async () => (database = await createTestDatabase()));
afterAll(() => database.drop());

describe("db:seed", () => {
  it("adds the sample customers once, however often it runs", async () => {
    expect(await seedCustomers(database.db)).toBe(SAMPLE_CUSTOMERS.length);
    expect(await seedCustomers(database.db)).toBe(0);
    const names = (await listCustomers(database.db)).items.map((c) => c.name);
    expect(names).toEqual([...SAMPLE_CUSTOMERS.map((c) => c.name)].sort());
  });
});

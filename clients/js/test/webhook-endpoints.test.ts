/** webhookEndpoints.* against the real stack: the secret once, camelCase fields, paging, update, test, delete, errors. */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ConflictError,
  CursorPage,
  NotFoundError,
  PermissionDeniedError,
  ValidationError,
  Webhook,
  type WebhookEndpoint,
} from "novavms";
import { clientFor, needsStack, newOrg } from "./stack.js";

test("webhookEndpoints: create (secret once), get, list across pages, update, test, delete", needsStack, async () => {
  const stack = await newOrg();
  const admin = clientFor(stack, "admin");
  const created = await admin.webhookEndpoints.create({
    url: "http://127.0.0.1:9/hooks",
    eventTypes: ["event.created", "event.deleted"],
    filter: { siteIds: [stack.sites[0]!], triggerTypes: ["ai_tag"] },
    description: "dock alarms",
  });
  assert.match(created.id, /^ep_[0-9a-f]{32}$/);
  assert.ok(created.secret?.startsWith("whsec_"));
  assert.doesNotThrow(() => new Webhook(created.secret!)); // the secret is what the verifier takes
  assert.deepEqual(created.filter, { siteIds: [stack.sites[0]], triggerTypes: ["ai_tag"] });
  assert.deepEqual([created.status, created.disabledReason, created.description], ["enabled", null, "dock alarms"]);
  assert.ok(!Number.isNaN(Date.parse(created.createdAt)) && !Number.isNaN(Date.parse(created.updatedAt)));

  const fetched: WebhookEndpoint = await admin.webhookEndpoints.get(created.id);
  const { secret, ...shown } = created;
  assert.ok(secret && !("secret" in fetched));
  assert.deepEqual(fetched, shown);

  const disabled = await admin.webhookEndpoints.update(created.id, { status: "disabled", filter: null });
  assert.equal(disabled.status, "disabled");
  assert.ok(disabled.disabledReason);
  assert.deepEqual(disabled.filter, {});
  const enabled = await admin.webhookEndpoints.update(created.id, { status: "enabled", eventTypes: ["*"] });
  assert.deepEqual([enabled.status, enabled.disabledReason, enabled.eventTypes], ["enabled", null, ["*"]]);

  const queued = await admin.webhookEndpoints.test(created.id);
  assert.match(queued.deliveryId, /^[0-9a-f]{32}$/);

  const more = [];
  for (let n = 0; n < 2; n++) more.push((await admin.webhookEndpoints.create({ url: `http://127.0.0.1:9/hooks/${n}`, eventTypes: ["*"] })).id);
  const page = await admin.webhookEndpoints.list({ limit: 2 });
  assert.ok(page instanceof CursorPage && page.data.length === 2 && page.hasNextPage());
  const walked: string[] = [];
  for await (const endpoint of admin.webhookEndpoints.list({ limit: 2 })) walked.push(endpoint.id);
  assert.deepEqual([...walked].sort(), [created.id, ...more].sort());

  await admin.webhookEndpoints.delete(created.id);
  await assert.rejects(admin.webhookEndpoints.get(created.id), NotFoundError);
});

test("webhookEndpoints: a refused URL is a ValidationError naming url; a viewer is refused", needsStack, async () => {
  const stack = await newOrg();
  const admin = clientFor(stack, "admin");
  for (const url of ["http://10.0.0.1/hooks", "https://user:pw@127.0.0.1/hooks", "https://metadata.google.internal/"]) {
    const error = await admin.webhookEndpoints.create({ url, eventTypes: ["*"] }).then(
      () => assert.fail(`${url} was accepted`),
      (reason: unknown) => reason,
    );
    assert.ok(error instanceof ValidationError, url);
    assert.ok("url" in error.fields, url);
  }
  await assert.rejects(clientFor(stack, "viewer").webhookEndpoints.list(), PermissionDeniedError);
});

test("webhookEndpoints: deliveries, resend, replay, rotateSecret; eventTypes.list keeps each schema as sent", needsStack, async () => {
  const stack = await newOrg();
  const admin = clientFor(stack, "admin");
  const since = new Date(Date.now() - 60_000).toISOString();
  const endpoint = await admin.webhookEndpoints.create({ url: "http://127.0.0.1:9/hooks", eventTypes: ["*"] });
  const queued = await admin.webhookEndpoints.test(endpoint.id);

  const page = await admin.webhookEndpoints.deliveries(endpoint.id, { limit: 1 });
  assert.ok(page instanceof CursorPage);
  const [delivery] = page.data;
  assert.equal(delivery?.id, queued.deliveryId);
  assert.equal(delivery?.endpointId, endpoint.id);
  assert.equal(delivery?.type, "webhook.test");
  assert.ok(Array.isArray(delivery?.attempts) && !Number.isNaN(Date.parse(delivery.createdAt)));
  const walked: string[] = [];
  for await (const each of admin.webhookEndpoints.deliveries(endpoint.id, { status: "failed" })) walked.push(each.id);
  assert.ok(walked.every((id) => id === queued.deliveryId));

  const resent = await admin.webhookEndpoints.resend(queued.deliveryId).catch((reason: unknown) => reason);
  // 202 with the id, or 409 while an attempt of it is in flight: never anything else.
  assert.ok(
    resent instanceof ConflictError || (resent as { deliveryId?: string }).deliveryId === queued.deliveryId,
    String(resent),
  );
  await assert.rejects(admin.webhookEndpoints.resend("0".repeat(32)), NotFoundError);

  const replayed = await admin.webhookEndpoints.replay(endpoint.id, { since, types: ["event.created"] });
  assert.equal(typeof replayed.scheduled, "number");
  const tooOld = await admin.webhookEndpoints
    .replay(endpoint.id, { since: "2000-01-01T00:00:00Z" })
    .then(() => assert.fail("accepted"), (reason: unknown) => reason);
  assert.ok(tooOld instanceof ValidationError && "since" in tooOld.fields);

  const rotated = await admin.webhookEndpoints.rotateSecret(endpoint.id, { graceSeconds: 0 });
  assert.ok(rotated.secret.startsWith("whsec_") && rotated.secret !== endpoint.secret);
  assert.doesNotThrow(() => new Webhook(rotated.secret));

  const types = await clientFor(stack, "viewer").eventTypes.list();
  assert.deepEqual(types.map((entry) => entry.type).sort(), [
    "event.created",
    "event.deleted",
    "event.restored",
    "event.updated",
    "webhook.test",
    "webhook_endpoint.disabled",
  ]);
  const created = types.find((entry) => entry.type === "event.created")!;
  const data = (created.schema["properties"] as Record<string, { properties: Record<string, unknown> }>)["data"]!;
  assert.ok("event_id" in data.properties, "a schema's keys are data: never renamed");
  await assert.rejects(clientFor(stack, "viewer").webhookEndpoints.deliveries(endpoint.id), PermissionDeniedError);
});

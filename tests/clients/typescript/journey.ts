// A partner's first journey, through a TypeScript client generated from the document the server
// serves (openapi-typescript types, openapi-fetch calls; nobody here wrote the client), checked
// by `tsc --strict`: discover, read the menu, validate, place, replay, read the order, the
// restaurant's four status updates, and one problem read as its error type. Run by
// .ci/clients.sh against `serve --demo`; any surprise throws.
//
//     node dist/journey.js BASE_URL

import createClient from "openapi-fetch";
import { randomUUID } from "node:crypto";
import type { components, paths } from "./generated/schema.js";

type Schemas = components["schemas"];

const DISTRIBUTION_KEY = "mfk_demodistrib0_public-demo-key-for-local-use-only";
const COMMERCE_KEY = "mfk_democommerce_public-demo-key-for-local-use-only";
const BAGELS = "0195a1b0-0000-7000-8000-000000000002"; // open around the clock

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`typescript client: ${what}`);
}

function step(name: string): void {
  console.log(`typescript client: ${name}`);
}

async function main(baseUrl: string): Promise<void> {
  const shop = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${DISTRIBUTION_KEY}` } });
  const kitchen = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${COMMERCE_KEY}` } });

  step("discover stores near Midtown for pickup");
  const found = await shop.GET("/v1/marketplace/stores", {
    params: { query: { latitude: 40.754, longitude: -73.984, fulfillmentType: "Pickup" } },
  });
  check(found.data, `discovery answered ${found.response.status}`);
  check(found.data.stores.some((store) => store.storeId === BAGELS), "Midtown Bagels is found");
  check(found.data.totalCountExact, "the count is exact");

  step("search with a typo");
  const searched = await shop.GET("/v1/marketplace/stores", {
    params: { query: { latitude: 40.754, longitude: -73.984, query: "bagle" } },
  });
  check(searched.data, `search answered ${searched.response.status}`);
  check(
    searched.data.stores.length === 1 && searched.data.stores[0]?.storeId === BAGELS,
    "a typo still finds Midtown Bagels",
  );

  step("read the store and its menu");
  const store = await shop.GET("/v1/marketplace/stores/{storeId}", { params: { path: { storeId: BAGELS } } });
  check(store.data, `the store answered ${store.response.status}`);
  const catalogSetId = store.data.catalogSetId;
  check(typeof catalogSetId === "string", "the store has a live menu");
  const menu = await shop.GET("/v1/marketplace/catalog-sets/{catalogSetId}", {
    params: { path: { catalogSetId } },
  });
  check(menu.data, `the menu answered ${menu.response.status}`);
  check(menu.data.items["latte"] !== undefined, "the menu has a latte");

  step("validate a cart");
  const cart: Schemas["Cart"] = {
    storeId: BAGELS,
    catalogSetId,
    lineItems: [
      {
        lineItemId: "1",
        itemId: "latte",
        quantity: 1,
        modifierGroups: [{ modifierGroupId: "milk", selectedModifiers: [{ itemId: "milk-oat", quantity: 1 }] }],
      },
    ],
  };
  const validated = await shop.POST("/v1/marketplace/orders/validate", {
    body: { cart, fulfillmentType: "Pickup", amounts: { tip: 1 } },
  });
  check(validated.data, `validate answered ${validated.response.status}`);
  check(validated.data.isValid, `the cart is valid: ${JSON.stringify(validated.data.errors)}`);
  const token = validated.data.validatedOrderToken;
  check(typeof token === "string", "validate gave a token");
  const priced = validated.data.amounts;
  check(priced, "a valid cart is priced");

  step("place it, then send the same request again");
  const place: Schemas["PlaceRequest"] = {
    validatedOrderToken: token,
    amounts: { total: priced.total },
    payment: { cardOnFile: { cardToken: "tok_visa", processorType: "stripe" } },
    customer: { firstName: "Ann", lastName: "Lee", email: "ann@example.com", phone: "+1-212-555-0199" },
  };
  const key = randomUUID();
  const first = await shop.POST("/v1/marketplace/orders/place", {
    params: { header: { "Idempotency-Key": key } },
    body: place,
  });
  check(first.data && first.response.status === 201, `place answered ${first.response.status}`);
  const order: Schemas["Order"] = first.data;
  check(order.status === "pending" && order.state === "open", "a new order is open and pending");
  const again = await shop.POST("/v1/marketplace/orders/place", {
    params: { header: { "Idempotency-Key": key } },
    body: place,
  });
  check(again.data?.gettOrderId === order.gettOrderId, "the replay names the same order");
  check(again.response.headers.get("idempotent-replayed") === "true", "the replay says it is one");

  step("read the order");
  const read = await shop.GET("/v1/marketplace/orders/{orderId}", {
    params: { path: { orderId: order.gettOrderId } },
  });
  check(read.data?.version === order.version, "the order reads as placed");

  step("the restaurant confirms, prepares, readies and completes it");
  const updates: Schemas["OrderStatusUpdate"][] = [
    { status: "confirmed" },
    { status: "preparing" },
    { status: "ready" },
    { state: "completed" },
  ];
  let version = order.version;
  let last: Schemas["Order"] | undefined;
  for (const update of updates) {
    const moved = await kitchen.POST("/v1/commerce/orders/{orderId}/status", {
      params: { path: { orderId: order.gettOrderId } },
      body: update,
    });
    check(moved.data, `the update ${JSON.stringify(update)} answered ${moved.response.status}`);
    check(moved.data.version > version, "each update bumps the version");
    version = moved.data.version;
    last = moved.data;
  }
  check(last?.state === "completed", "the order is completed");

  step("an unknown order is a problem with its error code");
  const missing = await shop.GET("/v1/marketplace/orders/{orderId}", {
    params: { path: { orderId: randomUUID() } },
  });
  check(missing.response.status === 404, `an unknown order answered ${missing.response.status}`);
  const problem: Schemas["Problem"] | undefined = missing.error;
  check(problem !== undefined, "the 404 is a problem");
  const known: Schemas["KnownErrorCode"] = "ORDER_NOT_FOUND";
  check(problem.errorCode === known, `errorCode is ${problem.errorCode}`);
  check(problem.type.endsWith("/errors/ORDER_NOT_FOUND"), `type is ${problem.type}`);
  console.log("typescript client: the journey passed");
}

const baseUrl = process.argv[2];
check(baseUrl, "usage: node dist/journey.js BASE_URL");
main(baseUrl).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

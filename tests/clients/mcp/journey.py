"""An AI agent's journey through Marketfront's MCP server, driven by the official Python SDK
(`mcp` on PyPI, pinned in requirements.txt), not by anything written here: discovery, the
menu, pickup chosen by the person (elicitation), a cart, validation, and an order placed only
after the person's yes (elicitation again); then a second conversation whose client declares no
elicitation gets the confirmationId step, and nothing is charged until it presents the yes.

    python journey.py BASE_URL SESSION_TOKEN PAYMENT_METHOD_ID
"""

import asyncio
import sys

import httpx2
import mcp.types as types
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

BAGELS = "0195a1b0-0000-7000-8000-000000000002"
MENU = "0195a1b0-0000-7000-8000-000000000102"


def check(condition, what):
    if not condition:
        raise SystemExit(f"journey failed: {what}")


class Person:
    """Answers the server's questions as the person at the keyboard would."""

    def __init__(self):
        self.asked = []

    async def answer(self, context, params):
        self.asked.append(params.message)
        properties = params.requested_schema.get("properties", {})
        if "mode" in properties:
            return types.ElicitResult(action="accept", content={"mode": "Pickup"})
        if "confirm" in properties:
            check("Midtown Bagels" in params.message, f"the summary names the store: {params.message}")
            return types.ElicitResult(action="accept", content={"confirm": True})
        return types.ElicitResult(action="decline")


async def structured(session, tool, arguments=None):
    result = await session.call_tool(tool, arguments or {})
    check(not result.is_error, f"{tool} answered an error: {result.structured_content or result.content}")
    return result.structured_content


async def with_elicitation(base, token, card):
    person = Person()
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30.0) as http:
        async with streamable_http_client(f"{base}/mcp", http_client=http) as (read, write):
            async with ClientSession(read, write, elicitation_callback=person.answer) as session:
                init = await session.initialize()
                check(init.server_info.name == "marketfront", f"server info: {init.server_info}")
                tools = {tool.name: tool for tool in (await session.list_tools()).tools}
                check(len(tools) == 15 and "placeOrder" in tools, f"tools: {sorted(tools)}")
                check(tools["discoverStores"].annotations.read_only_hint is True, "discoverStores is read-only")

                found = await structured(
                    session, "discoverStores", {"latitude": 40.7128, "longitude": -74.006, "query": "bagle"}
                )
                check(found["stores"][0]["storeId"] == BAGELS, f"discovery: {found}")
                menu = await structured(session, "getCatalogSet", {"catalogSetId": MENU})
                check(any(s["sectionId"] == "bagels" for s in menu["sections"]), f"menu: {menu}")

                fulfilment = await structured(session, "confirmFulfillment")
                check(fulfilment["mode"] == "Pickup" and fulfilment["confirmed"], f"fulfilment: {fulfilment}")
                cart = await structured(
                    session, "addToCart", {"storeId": BAGELS, "itemId": "plain-bagel", "quantity": 2}
                )
                check(cart["isValid"], f"cart: {cart}")
                validated = await structured(session, "validateOrder")
                check(validated["isValid"], f"validate: {validated}")
                placed = await structured(
                    session,
                    "placeOrder",
                    {"validatedOrderToken": validated["validatedOrderToken"], "paymentMethodId": card},
                )
                check(placed["status"] == "placed", f"place: {placed}")
                check(len(person.asked) == 2, f"the person was asked twice: {person.asked}")
                order = await structured(session, "getOrder", {"orderId": placed["order"]["gettOrderId"]})
                check(order["order"]["status"] == "pending", f"order: {order}")
                return placed["order"]["gettOrderId"]


async def without_elicitation(base, token, card):
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30.0) as http:
        async with streamable_http_client(f"{base}/mcp", http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                asked = await structured(session, "confirmFulfillment")
                check(asked["awaitingMode"], f"no elicitation: awaiting the mode: {asked}")
                await structured(session, "confirmFulfillment", {"mode": "Pickup"})
                await structured(session, "addToCart", {"storeId": BAGELS, "itemId": "latte"})
                validated = await structured(session, "validateOrder")
                checkout = {"validatedOrderToken": validated["validatedOrderToken"], "paymentMethodId": card}
                pending = await structured(session, "placeOrder", checkout)
                check(pending["status"] == "confirmation_required", f"confirmation step: {pending}")
                before = await structured(session, "listOrders")
                yes = dict(checkout, confirmationId=pending["confirmationId"])
                placed = await structured(session, "placeOrder", yes)
                again = await structured(session, "placeOrder", yes)
                check(placed["status"] == "placed", f"place: {placed}")
                check(again["order"]["gettOrderId"] == placed["order"]["gettOrderId"], "a retry is the same order")
                after = await structured(session, "listOrders")
                check(len(after["orders"]) == len(before["orders"]) + 1, "one order for the yes and its retry")


async def main():
    base, token, card = sys.argv[1:4]
    order = await with_elicitation(base, token, card)
    await without_elicitation(base, token, card)
    print(f"mcp journey: ok (order {order})")


asyncio.run(main())

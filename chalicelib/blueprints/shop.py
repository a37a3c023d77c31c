"""Catalog, cart, checkout, the processor's callbacks and the customer's orders (P10, P17, P19, P20)."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import cookies
from chalicelib.http import json_route, page_route
from chalicelib.pages import render_page

shop = Blueprint(__name__)


@json_route(shop, "/products", "GET", summary="Calling cards on sale: stock, rates, minutes, fees, access numbers",
            response="functions.catalog:Products")
def products(ports):
    from functions.catalog import Products, list_products

    return Products(list_products(ports))


@json_route(shop, "/rates", "GET", summary="The rate table (?destination=CC); browsers get the rates page",
            response="functions.catalog:RateTable", answers=(400, 404), query=("destination",))
def rates():
    """One path for both: a browser (Accept: text/html) gets the searchable page, an API client
    the table as JSON; either way the answer varies by Accept."""
    from functions.catalog import RateTable, rate_table, search_rates

    request = shop.current_request
    destination = (request.query_params or {}).get("destination")
    if "text/html" in request.headers.get("accept", ""):
        found = search_rates(destination or "")
        return render_page("rates.html", status=200 if found else 404, headers={"Vary": "Accept"},
                           title="Rates", rates=found, query=destination or "")
    table = RateTable(rate_table(destination))
    return Response(body=table.model_dump(mode="json"), headers={"Content-Type": "application/json", "Vary": "Accept"})


@json_route(shop, "/cart", "GET", summary="The cart of the cart cookie", response="functions.cart:CartView",
            cookies=(cookies.CART,))
def cart_view(ports):
    from functions import cart

    return cart.view(cart.read(cookies.read(shop.current_request, cookies.CART), ports))


@json_route(shop, "/cart/items", "POST", summary="Add a card to the cart (sets the cart cookie)",
            request="functions.cart:CartItemBody", response="functions.cart:CartView", cookies=(cookies.CART,))
def cart_add(body, ports):
    from functions import cart

    known = cookies.read(shop.current_request, cookies.CART)
    cart_id, contents = cart.add_item(known, body, ports)
    headers = {"Content-Type": "application/json"}
    if cart_id != known:
        headers["Set-Cookie"] = cookies.cart(cart_id)
    return Response(body=contents.model_dump(mode="json"), headers=headers)


@json_route(shop, "/cart/items/{sku}", "DELETE", summary="Remove a card from the cart",
            response="functions.cart:CartView", cookies=(cookies.CART,))
def cart_remove(sku, ports):
    from functions import cart

    return cart.remove_item(cookies.read(shop.current_request, cookies.CART), sku, ports)


@json_route(shop, "/checkout", "POST", summary="Start paying: the order and the processor's page (Idempotency-Key)",
            request="functions.checkout:CheckoutBody", response="functions.checkout:CheckoutStarted", status=201,
            signed_in=True, body_optional=True, headers=("Idempotency-Key",), cookies=(cookies.CART,),
            answers=(409, 503))
def checkout(account, body, ports):
    from functions import cart
    from functions.checkout import start_checkout

    request = shop.current_request
    cart_id = cookies.read(request, cookies.CART)
    # The cart stays until its order is paid (the return page empties it): a failed or
    # abandoned payment leaves the customer their cart.
    return start_checkout(account, body, cart.read(cart_id, ports) if body is None else {},
                          request.headers.get("idempotency-key"), ports)


@page_route(shop, "/shop", ["GET"])
def shop_page(ports):
    from functions.catalog import list_products

    from shared.catalog import access_numbers

    return render_page("shop.html", title="Shop", products=list_products(ports), access_numbers=access_numbers())


@page_route(shop, "/checkout/return", ["GET"], signed_in=True)
def checkout_return(account, ports):
    """Where the processor sends the customer back: the order as they see it. A paid order
    empties the cart of the browser that comes back (no cart id is stored with an order, P20)."""
    from functions import cart
    from functions.orders import owned_order
    from shared.errors import InvalidInput

    request = shop.current_request
    order_id = (request.query_params or {}).get("order_id")
    if not order_id:
        raise InvalidInput("The link names no order.")
    order = owned_order(account, order_id, ports)
    if order.status == "paid":
        cart.empty(cookies.read(request, cookies.CART), ports)
    return _order_page(order, ports)


@page_route(shop, "/my-account/orders/{order_id}", ["GET"], signed_in=True)
def order_page(account, order_id, ports):
    """The order page the PIN mail and My Account link to (P10): its owner's only; another's
    order is as missing as one that never was."""
    from functions.orders import owned_order

    return _order_page(owned_order(account, order_id, ports), ports)


def _order_page(order, ports):
    from functions.orders import STATUS_WORDS, calling_cards, cards_of, receipt, tel_href, these_pins
    from shared.catalog import toll_free_number

    cards = cards_of(order, ports) if order.status == "paid" else []
    access = toll_free_number()
    return render_page("order.html", headers={"Cache-Control": "no-store"}, title="Your order", order=order,
                       receipt=receipt(order, ports.processor.name), status_text=STATUS_WORDS.get(order.status, order.status), cards=cards,
                       your_cards=calling_cards(len(cards)), these_pins=these_pins(len(cards)),
                       access_number=access.number, access_tel=tel_href(access.number))


@json_route(shop, "/processor/webhook", "POST", summary="Card-processor callbacks (Stripe format, signed)",
            headers=("Stripe-Signature",), answers=(400, 404, 409))
def processor_webhook(ports):
    from functions.processor_callbacks import handle_callback

    request = shop.current_request
    return handle_callback(request.raw_body or b"", request.headers.get("stripe-signature"), ports)


@json_route(shop, "/account/orders", "GET", summary="The caller's orders", response="functions.orders:OrderList",
            signed_in=True)
def orders(account, ports):
    from functions.orders import list_orders

    return list_orders(account, ports)


@json_route(shop, "/account/orders/{order_id}", "GET", summary="One of the caller's orders (PINs once paid)",
            response="functions.orders:OrderView", signed_in=True, answers=(404,))
def order(account, order_id, ports):
    from functions.orders import order_detail

    response = order_detail(account, order_id, ports)
    return Response(body=response.model_dump(mode="json"),
                    headers={"Content-Type": "application/json", "Cache-Control": "no-store"})

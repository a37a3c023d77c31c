"""Catalog, cart, checkout, the processor's callbacks and the customer's orders (P10, P17, P19, P20)."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import cookies
from chalicelib.http import form_fields, json_route, page_route
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


# What the shop says after a cart form's 303 (?cart=...): a fixed set, never text from the link.
CART_MESSAGES = {
    "added": "Added to your cart.",
    "capped": "Your cart already has the most of that card one order can hold (10).",
    "updated": "Your cart is updated.",
}


def _to_cart(message: str, cart_id: str | None = None, known: str | None = None) -> Response:
    headers = {"Location": f"/shop?cart={message}#cart"}
    if cart_id and cart_id != known:
        headers["Set-Cookie"] = cookies.cart(cart_id)
    return Response(body="", status_code=303, headers=headers)


def cart_add_form(fields, ports):
    """The shop's Add to cart button without JavaScript: the same use case, then the shop."""
    from pydantic import ValidationError

    from functions import cart

    try:
        body = cart.CartItemBody(sku=fields.get("sku", ""), quantity=int(fields.get("quantity") or 1))
    except (ValueError, ValidationError):
        return _shop(ports, status=400, problems={"form": "Choose a card and a quantity from 1 to 10."})
    known = cookies.read(shop.current_request, cookies.CART)
    cart_id, contents = cart.add_item(known, body, ports)
    return _to_cart("capped" if contents.capped else "added", cart_id, known)


@json_route(shop, "/cart/items", "POST", summary="Add a card to the cart (sets the cart cookie)",
            request="functions.cart:CartItemBody", response="functions.cart:CartView", cookies=(cookies.CART,),
            form=cart_add_form)
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


@page_route(shop, "/cart/items/{sku}", ["POST"], forms=True)
def cart_change(sku, ports):
    """The cart's quantity box and Remove button (forms cannot send DELETE): 0 removes."""
    from functions import cart

    fields = form_fields(shop.current_request)
    wanted = "0" if fields.get("action") == "remove" else fields.get("quantity", "")
    if not wanted.strip().isdigit() or int(wanted) > cart.MAX_QUANTITY:
        return _shop(ports, status=400, problems={f"quantity-{sku}": "Enter a quantity from 0 to 10 (0 removes the card)."},
                     values={f"quantity-{sku}": wanted})
    cart.set_quantity(cookies.read(shop.current_request, cookies.CART), sku, int(wanted), ports)
    return _to_cart("updated")


def checkout_form(fields, ports, account):
    """Check out without JavaScript: the page's own Idempotency-Key (one per showing of the
    shop, so a double press is one order), then the processor's notice before leaving (P17)."""
    from functions import cart
    from functions.checkout import start_checkout
    from shared.errors import InvalidInput

    items = cart.read(cookies.read(shop.current_request, cookies.CART), ports)
    if not items:
        return _shop(ports, status=400, problems={"form": "Your cart is empty: add a card before you check out."})
    try:
        started = start_checkout(account, None, items, fields.get("idempotency_key"), ports)
    except InvalidInput:  # the page's key is missing or mangled: show a fresh page to press again
        return _shop(ports, status=400, problems={"form": "Something went wrong with the page: press Check out again."})
    return render_page("checkout_notice.html", title="Leaving for the payment page", started=started)


@json_route(shop, "/checkout", "POST", summary="Start paying: the order and the processor's page (Idempotency-Key)",
            request="functions.checkout:CheckoutBody", response="functions.checkout:CheckoutStarted", status=201,
            signed_in=True, body_optional=True, headers=("Idempotency-Key",), cookies=(cookies.CART,),
            answers=(409, 503), form=checkout_form)
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
    message = CART_MESSAGES.get((shop.current_request.query_params or {}).get("cart", ""))
    return _shop(ports, message=message)


def _shop(ports, *, status: int = 200, message: str | None = None, problems: dict | None = None,
          values: dict | None = None) -> Response:
    """The shop, rendered whole on the server: the cards, the cart with its forms, and a fresh
    Idempotency-Key for this showing's Check out button."""
    from functions import cart
    from functions.catalog import list_products
    from shared.catalog import access_numbers
    from shared.ids import new_id

    contents = cart.view(cart.read(cookies.read(shop.current_request, cookies.CART), ports))
    return render_page("shop.html", status=status, title="Shop", products=list_products(ports),
                       access_numbers=access_numbers(), cart=contents, message=message, problems=problems or {},
                       values=values or {}, idempotency_key=new_id(), max_quantity=cart.MAX_QUANTITY,
                       headers={"Cache-Control": "no-store"})


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
    from functions.orders import PAYABLE, STATUS_WORDS, calling_cards, cards_of, receipt, status_of, tel_href, these_pins
    from shared.catalog import toll_free_number

    cards = cards_of(order, ports) if order.status == "paid" else []
    access = toll_free_number()
    status = status_of(order, ports.clock.now())
    return render_page("order.html", headers={"Cache-Control": "no-store"}, title="Your order", order=order,
                       receipt=receipt(order, ports.processor.name), status_text=STATUS_WORDS.get(status, status),
                       payable=status in PAYABLE, pending=status == "pending", cards=cards,
                       your_cards=calling_cards(len(cards)), these_pins=these_pins(len(cards)),
                       access_number=access.number, access_tel=tel_href(access.number))


def retry_form(fields, ports, account, order_id):
    """The order page's "Try paying again" without JavaScript: the processor's notice, then
    its page (P17), as at the first checkout."""
    from functions.payments import retry_payment

    started = retry_payment(account, order_id, ports)
    return render_page("checkout_notice.html", title="Leaving for the payment page", started=started)


@json_route(shop, "/account/orders/{order_id}/pay", "POST", summary="Try paying again (a new processor session)",
            response="functions.checkout:CheckoutStarted", status=201, signed_in=True, answers=(404, 409, 503),
            form=retry_form)
def retry_payment(account, order_id, ports):
    """An unpaid order's new processor session; the old one is expired first, so one order
    never has two sessions that can be paid."""
    from functions.payments import retry_payment as retry

    return retry(account, order_id, ports)


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

// The shop page: cart through the JSON API, checkout with an Idempotency-Key per attempt,
// and the processor's notice shown before the customer leaves for its page (P17).
const cartText = document.getElementById("cart");
let checkoutKey = crypto.randomUUID();

function showCart(cart) {
  cartText.textContent = cart.items.length
    ? cart.items.map(function (i) { return i.quantity + " × " + i.name; }).join(", ") + " — " + cart.total + " " + cart.currency
    : "Your cart is empty.";
}

async function call(method, path, body, headers) {
  const response = await fetch(path, {
    method: method, credentials: "same-origin",
    headers: Object.assign({"Content-Type": "application/json"}, headers || {}),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {ok: response.ok, status: response.status, body: await response.json()};
}

document.querySelectorAll("[data-add-to-cart]").forEach(function (button) {
  button.addEventListener("click", async function () {
    const answer = await call("POST", "/cart/items", {sku: button.dataset.addToCart, quantity: 1});
    if (answer.ok) { showCart(answer.body); checkoutKey = crypto.randomUUID(); }
  });
});

document.getElementById("checkout").addEventListener("click", async function () {
  const error = document.getElementById("checkout-error");
  error.textContent = "";
  const answer = await call("POST", "/checkout", undefined, {"Idempotency-Key": checkoutKey});
  if (!answer.ok) { error.textContent = answer.body.error.message; return; }
  document.getElementById("notice-text").textContent = answer.body.notice.text;
  const link = document.getElementById("continue-to-processor");
  link.href = answer.body.redirect_url;
  link.textContent = "Continue to " + answer.body.notice.processor;
  const notice = document.getElementById("checkout-notice");
  notice.hidden = false;
  notice.focus();  // keyboard and screen reader users land on what the processor's notice says
});

call("GET", "/cart").then(function (answer) { showCart(answer.body); });

// Sends the signup form as JSON (the API's contract) and shows the answer in place.
document.querySelectorAll("form[data-json]").forEach(function (form) {
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const body = {};
    new FormData(form).forEach(function (value, key) { body[key] = value; });
    form.querySelectorAll("input[type=checkbox]").forEach(function (box) { body[box.name] = box.checked; });
    const status = document.getElementById(form.id + "-result");
    const response = await fetch(form.action, {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
    });
    const answer = await response.json();
    status.textContent = response.ok
      ? "Thank you. Please check your email for your link."
      : answer.error.message;
  });
});

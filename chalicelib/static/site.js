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
    // The fields a problem names ("email: not a valid email address") are marked invalid and
    // described by the message, as on the pages the server shows after a failed post.
    const problems = response.ok ? [] : answer.error.message.split("; ");
    form.querySelectorAll("input[name]").forEach(function (field) {
      if (problems.some(function (p) { return p.startsWith(field.name + ":"); })) {
        field.setAttribute("aria-invalid", "true");
        field.setAttribute("aria-describedby", status.id);
      } else {
        field.removeAttribute("aria-invalid");
        field.removeAttribute("aria-describedby");
      }
    });
  });
});

// The order page's copy buttons: an enhancement only (the PIN is on the page to read and
// select), shown where the browser can copy.
if (navigator.clipboard) {
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", async function () {
      const status = document.getElementById("copied");
      try {
        await navigator.clipboard.writeText(button.dataset.copy);
        if (status) { status.textContent = "PIN copied."; }
      } catch (error) {
        if (status) { status.textContent = "Could not copy: select the PIN instead."; }
      }
    });
  });
}

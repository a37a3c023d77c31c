// Enhancements only: every page works without this file.

// The order page's copy buttons (the PIN is on the page to read and select), shown where the
// browser can copy.
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

// A page that failed a form post: focus its error summary, so keyboard and screen reader
// users start from what to fix.
const summary = document.querySelector(".error-summary");
if (summary) { summary.focus(); }

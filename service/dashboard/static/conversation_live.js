// Warmline dashboard, one conversation live: asks for the messages after the last one shown,
// once a `data-poll-ms`, under the audited opening `data-watch`, and appends them in place.
(function () {
  "use strict";

  var list = document.getElementById("conversation-live");
  if (!list) {
    return;
  }
  var url = list.getAttribute("data-messages-url");
  var watch = list.getAttribute("data-watch");
  var after = list.getAttribute("data-after");
  var pollMs = parseInt(list.getAttribute("data-poll-ms"), 10) || 1000;
  var lost = document.querySelector("[data-live-lost]");

  function poll() {
    var query = "?watch=" + encodeURIComponent(watch) + "&after=" + encodeURIComponent(after);
    fetch(url + query, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (response.redirected) {
          window.location.reload();  // signed out: the page itself redirects to sign-in
          return null;
        }
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (state) {
        lost.hidden = true;
        if (state && state.html) {
          list.insertAdjacentHTML("beforeend", state.html);
          after = String(state.after);
        }
      })
      .catch(function () { lost.hidden = false; })
      .then(function () { window.setTimeout(poll, pollMs); });
  }

  window.setTimeout(poll, pollMs);
})();

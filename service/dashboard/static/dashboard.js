// Warmline dashboard: keeps the live view current without a reload, and asks before drastic actions.
// The live view asks the server once a `data-poll-ms` for its state; the server answers 204 when
// nothing changed, else the sections freshly rendered, which replace the old ones in place.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var asking = event.submitter && event.submitter.hasAttribute("data-confirm") ? event.submitter : event.target;
    var question = asking.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  var live = document.getElementById("live");
  if (!live) {
    return;
  }
  var stateUrl = live.getAttribute("data-state-url");
  var version = live.getAttribute("data-version");
  var pollMs = parseInt(live.getAttribute("data-poll-ms"), 10) || 1000;
  var status = live.querySelector("[data-live-status]");
  var statusText = live.querySelector("[data-live-text]");
  var pending = null;

  function showConnected(connected) {
    status.classList.toggle("lost", !connected);
    statusText.textContent = status.getAttribute(connected ? "data-text-ok" : "data-text-lost");
  }

  function swap(sections) {
    Object.keys(sections).forEach(function (name) {
      var target = live.querySelector('[data-section="' + name + '"]');
      // Never pull a form from under someone using it: that section waits for the next change.
      if (target && !target.contains(document.activeElement)) {
        target.innerHTML = sections[name];
      } else if (target) {
        pending = pending || {};
        pending[name] = sections[name];
      }
    });
  }

  function poll() {
    fetch(stateUrl + "?version=" + encodeURIComponent(version), { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (response.redirected || response.status === 401) {
          window.location.reload();  // signed out: the page itself redirects to sign-in
          return null;
        }
        if (response.status === 204) {
          return null;
        }
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (state) {
        showConnected(true);
        if (state) {
          version = state.version;
          pending = null;
          swap(state.sections);
        } else if (pending) {
          var waiting = pending;
          pending = null;
          swap(waiting);
        }
      })
      .catch(function () { showConnected(false); })
      .then(function () { window.setTimeout(poll, pollMs); });
  }

  window.setTimeout(poll, pollMs);
})();

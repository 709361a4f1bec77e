// The pages' one script (the Content-Security-Policy allows no inline script).
"use strict";

// Shows each <time datetime="..."> in the browser's own time zone, keeping UTC in its title.
function localizeTimes(root) {
  root.querySelectorAll("time[datetime]").forEach(function (element) {
    var when = new Date(element.getAttribute("datetime"));
    if (!isNaN(when.getTime())) {
      element.title = element.getAttribute("datetime");
      element.textContent = when.toLocaleString();
    }
  });
}

// The task monitor: an element with data-live="URL" is refetched every 2 s and its content
// swapped for the answer (an HTML fragment), so the filters in the URL stay. A session that
// ended answers 401 (or a redirect): the page reloads, and the server sends it to sign-in.
var LIVE_EVERY_MS = 2000;

function startLiveRefresh(live) {
  var url = live.getAttribute("data-live");
  var busy = false;
  window.setInterval(function () {
    if (busy) {
      return;
    }
    busy = true;
    fetch(url, { credentials: "same-origin", redirect: "manual", cache: "no-store" })
      .then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
          window.location.reload();
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null) {
          live.innerHTML = html;
          localizeTimes(live);
        }
      })
      // The server may be restarting: the next tick tries again.
      .catch(function () {})
      .then(function () {
        busy = false;
      });
  }, LIVE_EVERY_MS);
}

document.addEventListener("DOMContentLoaded", function () {
  localizeTimes(document);
  var live = document.querySelector("[data-live]");
  if (live && window.fetch) {
    startLiveRefresh(live);
  }
});

// The movie form's genre picker: a filter box that hides the genres it does not match (the
// boxes stay in the form, so ticked ones are still sent).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-genre-picker]").forEach(function (picker) {
    var filter = picker.querySelector(".genre-filter");
    filter.hidden = false;
    filter.addEventListener("input", function () {
      var wanted = filter.value.trim().toLowerCase();
      picker.querySelectorAll(".genre-option").forEach(function (option) {
        option.hidden = wanted !== "" && option.textContent.toLowerCase().indexOf(wanted) < 0;
      });
    });
  });
});

// Shows each <time datetime="..."> in the browser's own time zone, keeping UTC in its title.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("time[datetime]").forEach(function (element) {
    var when = new Date(element.getAttribute("datetime"));
    if (!isNaN(when.getTime())) {
      element.title = element.getAttribute("datetime");
      element.textContent = when.toLocaleString();
    }
  });
});

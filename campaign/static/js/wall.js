/* The pledge wall's filters come folded (a <details>), so on a phone the results come first even
   without JavaScript. On a wide screen there is room for them, so open them. */
(function () {
  "use strict";
  var filters = document.querySelector("[data-wall-filters]");
  if (filters && window.matchMedia("(min-width: 50em)").matches) {
    filters.open = true;
  }
})();

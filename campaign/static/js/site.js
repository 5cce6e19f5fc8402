/* Errors and confirmations, enhanced the way GOV.UK Frontend does it.
   - The error summary takes focus when the page loads, so keyboard and screen-reader users start at the errors.
   - Its links move focus to the field and scroll the field's label or legend into view, so the question and
     its error message are seen, not hidden above the top of the window.
   - A success or error notification banner takes focus, so the outcome of the last action is announced.
   Without JavaScript the summary and banners are still first in <main>, right after the skip link's target. */
(function () {
  "use strict";

  /* Focus an element that is not normally focusable, and stop it being a tab stop once focus leaves. */
  function focusOnce(element) {
    if (!element.hasAttribute("tabindex")) {
      element.setAttribute("tabindex", "-1");
    }
    element.addEventListener("blur", function () {
      element.removeAttribute("tabindex");
    }, { once: true });
    element.focus();
  }

  /* The legend when it fits in the window with the field (and always for radios and checkboxes), else the label. */
  function legendOrLabel(input) {
    var fieldset = input.closest("fieldset");
    if (fieldset) {
      var legend = fieldset.getElementsByTagName("legend")[0];
      if (legend) {
        if (input.type === "checkbox" || input.type === "radio") {
          return legend;
        }
        var legendTop = legend.getBoundingClientRect().top;
        var inputRect = input.getBoundingClientRect();
        if (inputRect.height && window.innerHeight && inputRect.top + inputRect.height - legendTop < window.innerHeight / 2) {
          return legend;
        }
      }
    }
    return document.querySelector("label[for='" + input.id + "']") || input.closest("label");
  }

  /* Follow an error link: focus the field without scrolling, then bring its question into view. */
  function followErrorLink(event) {
    var link = event.target.closest("a");
    if (!link || !link.hash) {
      return;
    }
    var input = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!input) {
      return;
    }
    var question = legendOrLabel(input);
    if (!question) {
      return;
    }
    event.preventDefault();
    question.scrollIntoView();
    input.focus({ preventScroll: true });
  }

  var summaries = document.querySelectorAll("[data-module='error-summary']");
  for (var i = 0; i < summaries.length; i += 1) {
    summaries[i].addEventListener("click", followErrorLink);
  }

  /* The errors come first when there are any: they stop the task, a confirmation does not. */
  var banner = document.querySelector("[data-module='notification-banner'][role='alert']");
  var first = summaries[0] || banner;
  if (first) {
    focusOnce(first);
  }
})();

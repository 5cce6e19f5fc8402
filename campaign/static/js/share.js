/* Sharing, enhanced: a "Copy link" button and the device's own share sheet, where the browser has them.
   Without JavaScript the share links and the selectable address still work. */
(function () {
  "use strict";

  function setUp(panel) {
    var input = panel.querySelector("[data-share-url]");
    var copy = panel.querySelector("[data-share-copy]");
    var native = panel.querySelector("[data-share-native]");
    var status = panel.querySelector("[data-share-status]");
    if (!input) {
      return;
    }

    function say(message) {
      if (status) {
        status.textContent = message;
      }
    }

    input.addEventListener("focus", function () {
      input.select();
    });

    if (copy && navigator.clipboard && window.isSecureContext) {
      copy.hidden = false;
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(input.value).then(
          function () {
            say("Link copied");
          },
          function () {
            input.focus();
            input.select();
            say("Press Control and C (or Command and C) to copy the selected link");
          }
        );
      });
    }

    if (native && navigator.share) {
      native.hidden = false;
      native.addEventListener("click", function () {
        navigator
          .share({ title: native.dataset.title, text: native.dataset.text, url: input.value })
          .catch(function () {
            /* Closing the share sheet is not an error worth telling anyone about. */
          });
      });
    }
  }

  var panels = document.querySelectorAll("[data-share]");
  for (var i = 0; i < panels.length; i += 1) {
    setUp(panels[i]);
  }
})();

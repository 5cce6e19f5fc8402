// Progressive enhancement for the "Show your support" badge: a button that copies the HTML snippet.
// Without JavaScript the snippet can still be selected and copied by hand.
(function () {
  "use strict";
  var snippets = document.querySelectorAll("textarea[data-copy-label]");
  Array.prototype.forEach.call(snippets, function (textarea) {
    if (!navigator.clipboard) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button--secondary";
    button.textContent = textarea.getAttribute("data-copy-label");
    var status = document.createElement("span");
    status.className = "copy-status";
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(textarea.value).then(function () {
        status.textContent = "Copied";
      }, function () {
        textarea.select();
        status.textContent = "Select the text and copy it";
      });
    });
    textarea.insertAdjacentElement("afterend", status);
    textarea.insertAdjacentElement("afterend", button);
  });
})();

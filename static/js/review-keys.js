// Keyboard shortcuts of the review screen: v verify, r return, x reject, n next.
// Return and reject need a reason: the key moves the cursor to the reason first, and the
// second press (or the button) sends the decision once a reason is typed.
(function () {
  "use strict";
  var form = document.querySelector("[data-review-form]");
  var next = document.querySelector("[data-next-form]");
  function typing(event) {
    var tag = event.target.tagName;
    return tag === "TEXTAREA" || tag === "INPUT" || tag === "SELECT" || event.target.isContentEditable;
  }
  function decide(action) {
    if (!form) { return; }
    var button = form.querySelector('button[value="' + action + '"]');
    var reason = form.querySelector("textarea[name=reason]");
    if (action !== "verify" && reason && !reason.value.trim()) {
      reason.focus();
      reason.setAttribute("data-pending", action);
      return;
    }
    if (button) { button.click(); }
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (typing(event)) {
      // Ctrl-free Enter in the reason sends the decision its key asked for.
      var pending = event.target.getAttribute && event.target.getAttribute("data-pending");
      if (event.key === "Enter" && !event.shiftKey && pending && event.target.value.trim()) {
        event.preventDefault();
        decide(pending);
      }
      return;
    }
    var key = event.key.toLowerCase();
    if (key === "v") { event.preventDefault(); decide("verify"); }
    else if (key === "r") { event.preventDefault(); decide("return"); }
    else if (key === "x") { event.preventDefault(); decide("reject"); }
    else if (key === "n" && next) { event.preventDefault(); next.submit(); }
  });
})();

// The widget's sign-in popup, at its end: hands the token to the widget that opened it.
// targetOrigin is the origin of the platform's own service whose widget asked, fixed by the
// server: if the opener is anything else now, the browser drops the message.
(function () {
  var handover = JSON.parse(document.getElementById("widget-handover").textContent);
  var opener = window.opener;
  if (!opener || opener.closed) {
    document.querySelector("[data-handover-done]").hidden = true;
    document.querySelector("[data-handover-lost]").hidden = false;
    return;
  }
  opener.postMessage(handover.message, handover.target_origin);
  window.close();
})();

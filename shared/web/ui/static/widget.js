// The widget on an organisation's site: sign in through a popup, vote in a poll or comment on
// a draft, see the receipt, all without leaving the site.
//
// The frame never relies on our cookies (browsers blocking third-party cookies do not send
// them here). The popup, a top-level window of the sign-in service, posts a short-lived token
// back; this script accepts it only from the sign-in service's origin, only from the popup it
// opened and only with the nonce it made for that popup, keeps it in a variable (never in
// storage) and sends it as Authorization: Bearer. Nothing is ever posted to the host page.
(function () {
  "use strict";

  var configBox = document.getElementById("widget-config");
  if (!configBox) return;
  var config = JSON.parse(configBox.textContent);
  var messages = config.messages;
  var vote = document.querySelector("[data-widget-part]");
  var form = document.querySelector("[data-widget-ballot]");
  var send = form.querySelector("[data-widget-send]");
  var status = document.querySelector("[data-widget-status]");
  var account = document.querySelector("[data-widget-account]");
  var receipt = document.querySelector("[data-widget-receipt]");

  var token = null;
  var popup = null;
  var nonce = null;
  var idempotencyKey = null;

  function randomId() {
    var bytes = new Uint8Array(24);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function say(text, kind) {
    status.textContent = text || "";
    status.hidden = !text;
    status.className = "alert" + (kind ? " " + kind : "");
  }

  function showSignedIn(signedIn) {
    account.hidden = !signedIn;
    send.textContent = signedIn ? messages.send : messages.sign_in;
  }

  // --- sign-in -------------------------------------------------------------------------------

  function signIn() {
    nonce = randomId();
    var url = config.sign_in_url + "?" + new URLSearchParams({ service: config.service, nonce: nonce });
    popup = window.open(url, "vmeste-sign-in", "popup,width=560,height=720");
    if (!popup) {
      nonce = null;
      say(messages.blocked, "error");
      return;
    }
    say(messages.waiting);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== config.sign_in_origin) return;
    if (popup === null || event.source !== popup) return;
    var data = event.data;
    if (!data || typeof data !== "object" || data.type !== config.message_type) return;
    if (nonce === null || data.nonce !== nonce || typeof data.token !== "string") return;
    token = data.token;
    nonce = null;
    popup = null;
    say("");
    showSignedIn(true);
    send.focus();
  });

  function forget() {
    token = null;
    showSignedIn(false);
  }

  document.querySelector("[data-widget-sign-out]").addEventListener("click", function () {
    var held = token;
    forget();
    if (held) {
      // Ends the sign-in session everywhere it is used, as the site's own sign-out does.
      fetch(config.sign_out_url, {
        method: "POST",
        credentials: "omit",
        headers: { Authorization: "Bearer " + held },
      }).catch(function () {});
    }
  });

  // --- the ballot ----------------------------------------------------------------------------

  function checked(fieldset, name) {
    return Array.from(fieldset.querySelectorAll('input[name="' + name + '"]:checked'), function (i) {
      return i.value;
    });
  }

  // The same answers the poll page's form gives the server (ballot_form.answers_from_form).
  function answerOf(fieldset) {
    var name = "q." + fieldset.dataset.question;
    switch (fieldset.dataset.kind) {
      case "single_choice": {
        var one = checked(fieldset, name);
        return one.length ? one[0] : undefined;
      }
      case "multiple_choice": {
        var many = checked(fieldset, name);
        return many.length ? many : undefined;
      }
      case "ranking": {
        var order = Array.from(fieldset.querySelectorAll('input[type=hidden][name="' + name + '"]'), function (i) {
          return i.value;
        });
        var top = fieldset.dataset.top ? parseInt(fieldset.dataset.top, 10) : 0;
        return order.length ? (top ? order.slice(0, top) : order) : undefined;
      }
      case "scale": {
        var picked = checked(fieldset, name);
        var number = fieldset.querySelector('input[type=number][name="' + name + '"]');
        var raw = picked.length ? picked[0] : number ? number.value.trim() : "";
        if (!raw) return undefined;
        return /^-?\d+$/.test(raw) ? parseInt(raw, 10) : raw;
      }
      case "free_text": {
        var box = fieldset.querySelector("textarea");
        var text = box ? box.value.trim() : "";
        return text || undefined;
      }
      case "project_vote": {
        var points = fieldset.querySelectorAll('input[type=number][name^="' + name + '."]');
        if (!points.length) return checked(fieldset, name);
        var spread = {};
        points.forEach(function (input) {
          var value = input.value.trim();
          if (/^-?\d+$/.test(value) && parseInt(value, 10) !== 0) {
            spread[input.name.slice(name.length + 1)] = parseInt(value, 10);
          }
        });
        return spread;
      }
    }
    return undefined;
  }

  function commentOf() {
    var data = new FormData(form);
    var field = function (name) { return String(data.get(name) || "").trim(); };
    return {
      section: field("section"),
      stance: field("stance"),
      text: field("text"),
      proposed_wording: field("proposed_wording"),
    };
  }

  function answers() {
    var out = {};
    form.querySelectorAll("fieldset[data-question]").forEach(function (fieldset) {
      if (fieldset.hidden) return; // a question its condition hides is not answered
      var answer = answerOf(fieldset);
      if (answer !== undefined) out[fieldset.dataset.question] = answer;
    });
    return out;
  }

  function markIssues(issues) {
    form.querySelectorAll("fieldset[data-question]").forEach(function (fieldset) {
      fieldset.classList.remove("invalid");
      fieldset.removeAttribute("aria-invalid");
    });
    (issues || []).forEach(function (issue) {
      var question = String(issue.path || "").split(".")[1];
      var fieldset = question && form.querySelector('fieldset[data-question="' + CSS.escape(question) + '"]');
      if (fieldset) {
        fieldset.classList.add("invalid");
        fieldset.setAttribute("aria-invalid", "true");
      }
    });
  }

  function refusal(problem) {
    var slug = problem.type ? String(problem.type).split("/").pop() : "";
    // The eligibility code: "reason" in polls, "code" in discussions.
    var code = problem.reason || problem.code;
    if (slug === "not-eligible" && code && messages[code]) return messages[code];
    return messages[slug] || messages.general;
  }

  function showReceipt(view) {
    vote.hidden = true;
    receipt.hidden = false;
    receipt.querySelector("[data-widget-code]").textContent = view.tracking_code;
    // As the pages write times: to the minute, in UTC (the receipt holds no finer time).
    receipt.querySelector("[data-widget-accepted]").textContent =
      new Date(view.accepted_at).toISOString().slice(0, 16).replace("T", " ") + " UTC";
    var check = receipt.querySelector("[data-widget-check]");
    check.href = config.check_url + "?" + new URLSearchParams({ code: view.tracking_code }) + config.check_hash;
    var download = receipt.querySelector("[data-widget-download]");
    download.href = URL.createObjectURL(new Blob([view.receipt], { type: "text/plain" }));
    download.download = "receipt-" + view.tracking_code + ".txt";
    // The browser's own check (verify-page.js), run on the receipt just received.
    var box = receipt.querySelector("[data-receipt]");
    var run = receipt.querySelector("[data-verify-run]");
    if (box && run) {
      box.value = view.receipt;
      run.click();
    }
    var heading = receipt.querySelector("h2");
    heading.focus({ preventScroll: true });
    heading.scrollIntoView({ block: "start" });
  }

  async function cast() {
    if (idempotencyKey === null) idempotencyKey = randomId();
    send.disabled = true;
    say(messages.sending);
    var response;
    try {
      response = await fetch(config.submit_url, {
        method: "POST",
        credentials: "omit",
        headers: {
          Authorization: "Bearer " + token,
          "Content-Type": "application/json",
          Accept: "application/json",
          "Idempotency-Key": idempotencyKey,
        },
        body: JSON.stringify(config.kind === "comment" ? commentOf() : { answers: answers() }),
      });
    } catch (_) {
      send.disabled = false;
      say(messages.failed, "error");
      return;
    }
    send.disabled = false;
    var body = await response.json().catch(function () { return {}; });
    if (response.ok) {
      say("");
      showReceipt(body);
      return;
    }
    if (response.status === 401) {
      forget();
      say(messages.expired, "error");
      return;
    }
    markIssues(response.status === 422 ? body.errors : []);
    var text = refusal(body);
    if (body.tracking_code) text += " " + body.tracking_code;
    say(text, "error");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (send.disabled) return;
    if (token === null) signIn();
    else cast();
  });

  document.querySelectorAll("[data-widget-fallback]").forEach(function (fallback) {
    fallback.hidden = true;
  });
  vote.hidden = false;
  showSignedIn(false);
})();

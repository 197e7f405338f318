// Vmeste pages: ranking by drag and by keyboard, conditional questions, the project-vote
// budget, and the copy button. No inline scripts: CSP allows scripts from this site only.
(function () {
  "use strict";

  function rankingList(list) {
    function renumber() {
      var items = list.querySelectorAll("li");
      items.forEach(function (item, index) {
        var up = item.querySelector("[data-move=up]");
        var down = item.querySelector("[data-move=down]");
        if (up) up.disabled = index === 0;
        if (down) down.disabled = index === items.length - 1;
        var pos = item.querySelector(".position");
        if (pos) pos.textContent = String(index + 1);
      });
      list.dispatchEvent(new Event("change", { bubbles: true }));
    }
    list.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-move]");
      if (!button) return;
      event.preventDefault();
      var item = button.closest("li");
      if (button.dataset.move === "up" && item.previousElementSibling) {
        list.insertBefore(item, item.previousElementSibling);
      } else if (button.dataset.move === "down" && item.nextElementSibling) {
        list.insertBefore(item.nextElementSibling, item);
      }
      renumber();
      button.disabled ? item.querySelector("button:not([disabled])").focus() : button.focus();
      var live = document.getElementById(list.dataset.live);
      if (live) live.textContent = item.querySelector(".label").textContent + ": " +
        (Array.prototype.indexOf.call(list.children, item) + 1);
    });
    var dragged = null;
    list.addEventListener("dragstart", function (event) {
      dragged = event.target.closest("li");
      if (dragged) dragged.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", "");
    });
    list.addEventListener("dragover", function (event) {
      event.preventDefault();
      var over = event.target.closest("li");
      if (!dragged || !over || over === dragged) return;
      var box = over.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? over.nextElementSibling : over);
    });
    list.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("dragging");
      dragged = null;
      renumber();
    });
    renumber();
  }

  function answersOf(form, questionId) {
    var values = [];
    form.querySelectorAll('[name="q.' + questionId + '"]').forEach(function (input) {
      if (input.disabled) return;
      if (input.type === "checkbox" || input.type === "radio") {
        if (input.checked) values.push(input.value);
      } else if (input.type === "hidden") {
        values.push(input.value);
      }
    });
    return values;
  }

  function applyConditions(form) {
    form.querySelectorAll("[data-show-if-question]").forEach(function (block) {
      var ok = false;
      var target = form.querySelector('[data-question="' + block.dataset.showIfQuestion + '"]');
      if (target && !target.hidden) {
        var values = answersOf(form, block.dataset.showIfQuestion);
        var rankTop = target.dataset.top ? parseInt(target.dataset.top, 10) : values.length;
        if (block.dataset.showIfOp === "equals") ok = values.length === 1 && values[0] === block.dataset.showIfOption;
        else ok = values.slice(0, rankTop).indexOf(block.dataset.showIfOption) !== -1;
      }
      block.hidden = !ok;
      block.querySelectorAll("input, textarea, select, button").forEach(function (el) { el.disabled = !ok; });
    });
  }

  function budget(form) {
    var box = form.querySelector("[data-budget]");
    if (!box) return;
    var total = parseInt(box.dataset.budget, 10);
    var limitCount = box.dataset.maxApprovals ? parseInt(box.dataset.maxApprovals, 10) : null;
    var points = box.dataset.points ? parseInt(box.dataset.points, 10) : null;
    var spent = 0, chosen = 0, used = 0;
    form.querySelectorAll("[data-cost]").forEach(function (input) {
      var cost = parseInt(input.dataset.cost, 10);
      if (input.type === "checkbox" && input.checked) { spent += cost; chosen += 1; }
      if (input.type === "number" && parseInt(input.value || "0", 10) > 0) {
        spent += cost; chosen += 1; used += parseInt(input.value, 10);
      }
    });
    var fmt = function (n) { return n.toLocaleString("ru-RU").replace(/\s/g, "\u202f") + "\u00a0₽"; };
    box.querySelector("[data-spent]").textContent = fmt(spent);
    box.querySelector("[data-remaining]").textContent = fmt(total - spent);
    var chosenOut = box.querySelector("[data-chosen]");
    if (chosenOut) chosenOut.textContent = String(chosen);
    var pointsOut = box.querySelector("[data-points-used]");
    if (pointsOut) pointsOut.textContent = String(used);
    var overBudget = box.dataset.costLimited === "1" && spent > total;
    var overCount = limitCount !== null && chosen > limitCount;
    var overPoints = points !== null && used > points;
    var over = overBudget || overCount || overPoints;
    box.classList.toggle("over", over);
    box.querySelector("[data-over=budget]").hidden = !overBudget;
    var c = box.querySelector("[data-over=count]"); if (c) c.hidden = !overCount;
    var p = box.querySelector("[data-over=points]"); if (p) p.hidden = !overPoints;
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = over; });
    return over;
  }

  function ballotForm(form) {
    form.querySelectorAll("ol.ranking").forEach(rankingList);
    var update = function () { applyConditions(form); budget(form); };
    form.addEventListener("change", update);
    form.addEventListener("input", update);
    form.addEventListener("submit", function (event) {
      if (budget(form)) {
        event.preventDefault();
        var box = form.querySelector("[data-budget]");
        box.setAttribute("tabindex", "-1");
        box.focus();
      }
    });
    update();
  }

  function copyButtons() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = document.getElementById(button.dataset.copy);
        if (!source) return;
        source.select ? source.select() : null;
        if (navigator.clipboard) navigator.clipboard.writeText(source.value || source.textContent);
        button.textContent = button.dataset.done || button.textContent;
      });
    });
  }

  function questionBuilder(root) {
    var template = root.querySelector("template[data-question-template]");
    var list = root.querySelector("[data-questions]");
    if (!template || !list) return;
    function renumber() {
      list.querySelectorAll("[data-question-block]").forEach(function (block, index) {
        block.querySelectorAll("[data-name]").forEach(function (el) {
          el.name = "questions-" + index + "-" + el.dataset.name;
          el.id = "qb-" + index + "-" + el.dataset.name;
        });
        block.querySelectorAll("label[data-for]").forEach(function (label) {
          label.htmlFor = "qb-" + index + "-" + label.dataset.for;
        });
        var n = block.querySelector("[data-number]");
        if (n) n.textContent = String(index + 1);
      });
    }
    root.addEventListener("click", function (event) {
      var add = event.target.closest("[data-add-question]");
      if (add) {
        event.preventDefault();
        list.appendChild(template.content.cloneNode(true));
        renumber();
        var blocks = list.querySelectorAll("[data-question-block]");
        var first = blocks[blocks.length - 1].querySelector("input, select, textarea");
        if (first) first.focus();
        return;
      }
      var remove = event.target.closest("[data-remove-question]");
      if (remove) {
        event.preventDefault();
        remove.closest("[data-question-block]").remove();
        renumber();
      }
    });
    renumber();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-ballot]").forEach(ballotForm);
    document.querySelectorAll("[data-builder]").forEach(questionBuilder);
    copyButtons();
  });
})();

// The presenter keys' pure functions (ui/views/components/presenter/presenter.js), under Node's test
// runner; tests/ui/test_presenter_js.py runs this file in the Python suite.
import assert from "node:assert/strict";
import { test } from "node:test";

import { moveFor, stepAfter } from "../../ui/views/components/presenter/presenter.js";

// An element that lies inside the elements matching ``inside`` (selectors, as written in the
// component's lists): enough of Element.closest for these rules.
const within = (...inside) => ({
  closest: (selectors) => (selectors.split(",").map((s) => s.trim()).some((s) => inside.includes(s)) ? {} : null),
});
const body = within();

test("a clicker's keys and the arrows move the lesson when no control has focus", () => {
  assert.equal(moveFor("PageDown", body, false), 1);
  assert.equal(moveFor("PageUp", body, false), -1);
  assert.equal(moveFor("ArrowRight", body, false), 1);
  assert.equal(moveFor("ArrowLeft", body, false), -1);
  assert.equal(moveFor("ArrowRight", null, false), 1);
  assert.equal(moveFor("ArrowRight", within("button"), false), 1); // after a click on Next
});

test("other keys, and keys with a modifier, are not the lesson's", () => {
  for (const key of ["ArrowUp", "ArrowDown", " ", "Enter", "Home", "End", "n", "Tab"]) {
    assert.equal(moveFor(key, body, false), 0, key);
  }
  assert.equal(moveFor("PageDown", body, true), 0);
});

test("nothing where one types or picks", () => {
  for (const where of ["input", "select", "textarea", "[contenteditable]:not([contenteditable='false'])",
    "[role='slider']", "[role='combobox']", "[role='listbox']", "[role='spinbutton']", "[role='textbox']"]) {
    for (const key of ["PageDown", "PageUp", "ArrowRight", "ArrowLeft"]) {
      assert.equal(moveFor(key, within(where), false), 0, `${key} in ${where}`);
    }
  }
});

test("the arrows stay with a chart's player and the controls that use them; PageDown still moves", () => {
  for (const where of ["[data-optlab-chart]", "[role='tablist']", "[role='radiogroup']", "[role='menu']"]) {
    assert.equal(moveFor("ArrowRight", within(where), false), 0, where);
    assert.equal(moveFor("ArrowLeft", within(where), false), 0, where);
    assert.equal(moveFor("PageDown", within(where), false), 1, where);
    assert.equal(moveFor("PageUp", within(where), false), -1, where);
  }
});

test("a move stays within the lesson", () => {
  assert.equal(stepAfter(1, -1, 5), 1);
  assert.equal(stepAfter(5, 1, 5), 5);
  assert.equal(stepAfter(2, 1, 5), 3);
  assert.equal(stepAfter(1, 1, 1), 1);
});

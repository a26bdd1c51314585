// The lesson's presenter keys: PageDown and PageUp (what a presentation clicker sends) and the
// arrows → and ← move a lesson to its next or previous step.
//
// A Streamlit Components v2 component (ui/views/presenter.py mounts it with the presenter bar, in
// the page's own document, no iframe). It draws nothing: it listens to the page's keys and tells
// the server which step to show, as an absolute step number, so that two quick presses move two
// steps even when the first rerun has not caught up yet.
//
// Keys are never taken from where they do something else:
// * nothing while focus is where one types or picks (an input, a select, a text area, editable
//   text, a slider, a number spinner, a combo box or list box);
// * the arrows are left to a chart's player (its element has data-optlab-chart) and to the other
//   controls that move with them (tabs, radio groups, menus, trees, grids); PageDown and PageUp
//   still move the lesson from there;
// * nothing with Alt, Ctrl, Meta or Shift held (the browser's and the system's own shortcuts),
//   nothing a handler nearer the focus has already used (defaultPrevented), and a held key's
//   repeats are swallowed (one step per press).
//
// On a step whose charts wait for Reveal (a question is up), the first forward key reveals them, as
// a slide's build does; the next one moves on.

const MOVES = { PageDown: 1, ArrowRight: 1, PageUp: -1, ArrowLeft: -1 };
const ARROWS = new Set(["ArrowRight", "ArrowLeft"]);
const TYPING = [
  "input", "select", "textarea", "[contenteditable]:not([contenteditable='false'])", "[role='textbox']",
  "[role='combobox']", "[role='listbox']", "[role='spinbutton']", "[role='slider']",
].join(", ");
const ARROW_OWNERS = [
  "[data-optlab-chart]", "[role='tablist']", "[role='tab']", "[role='radiogroup']", "[role='radio']",
  "[role='menu']", "[role='menubar']", "[role='menuitem']", "[role='tree']", "[role='grid']",
].join(", ");

// The move a key asks for: +1, -1, or 0 (not the lesson's), given the element that has focus
// (the event's target) and whether a modifier is held.
export function moveFor(key, focused, modified) {
  const move = MOVES[key];
  if (!move || modified) return 0;
  if (focused && typeof focused.closest === "function") {
    if (focused.closest(TYPING)) return 0;
    if (ARROWS.has(key) && focused.closest(ARROW_OWNERS)) return 0;
  }
  return move;
}

// The step a move leads to, within 1..steps.
export function stepAfter(from, move, steps) {
  return Math.max(1, Math.min(steps, from + move));
}

let detach = null; // the listener of the bar mounted last (one bar per page)

export default function mount(component) {
  const { data, setTriggerValue } = component;
  const steps = Math.max(1, Math.floor(Number(data && data.steps)) || 1);
  let at = Math.max(1, Math.min(steps, Math.floor(Number(data && data.step)) || 1));
  let held = Boolean(data && data.held); // the step's charts wait for Reveal
  const onKey = (e) => {
    if (e.defaultPrevented || e.isComposing) return;
    const move = moveFor(e.key, e.target, e.altKey || e.ctrlKey || e.metaKey || e.shiftKey);
    if (!move) return;
    e.preventDefault(); // PageDown would also scroll the page
    if (e.repeat) return;
    if (move > 0 && held) { // a slide's build: the first forward press reveals, the next moves on
      held = false;
      setTriggerValue("go", { to: at, reveal: true, at: Date.now() });
      return;
    }
    const to = stepAfter(at, move, steps);
    if (to === at) return;
    at = to;
    setTriggerValue("go", { to, at: Date.now() });
  };
  if (detach) detach();
  document.addEventListener("keydown", onKey);
  const mine = () => {
    document.removeEventListener("keydown", onKey);
    if (detach === mine) detach = null;
  };
  detach = mine;
  document.documentElement.dataset.optlabLesson = String(at); // for the tests: the keys are listening
  return () => {
    mine();
    if (!detach) delete document.documentElement.dataset.optlabLesson;
  };
}

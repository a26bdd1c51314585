"""Traces turned into what a student sees: tidy frames, Vega-Lite chart specs in one dialect
(``theme`` holds colours, type sizes, axes and the step param), the step-through player, and the
"reproduce in Python" snippets. Everything here but ``stepper`` is pure (no Streamlit)."""

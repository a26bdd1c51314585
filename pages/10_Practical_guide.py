"""The chapter's practical guide: recommended optimisers per task, as one-click presets."""

import streamlit as st

from ui.frame import page
from ui.frame.registry import PAGES
from ui.state.fields import SHARED_FIELDS
from ui.state.guide import GUIDE

with page.open("guide") as view:
    st.markdown(
        "The chapter ends with a table of recommended optimisers per task. Each row below loads a "
        "small experiment that shows the reason behind the advice into the controls, and opens the "
        "view that makes it visible. The learning rates of the table are for real networks; the "
        "toy problems here are scaled so the same shape of advice shows in a few thousand steps.")
    header = st.columns([2, 3, 4, 3])
    for col, text in zip(header, ("**Task**", "**Recommended (chapter)**", "**What the preset shows**", "")):
        col.markdown(text)
    for preset in GUIDE:
        target = PAGES[preset.page]
        row = st.columns([2, 3, 4, 3], vertical_alignment="center")
        row[0].markdown(preset.task)
        row[1].markdown(preset.advice)
        if preset.note:
            row[1].caption(preset.note)
        row[2].markdown(preset.shows)
        if row[3].button(target.title, key=f"preset_{preset.id}", icon=":material/play_arrow:",
                         help=f"Loads the preset and opens {target.title}.", width="stretch"):
            page.apply_preset(preset)
    st.info("**What to look for.** After loading a preset, every control in the sidebar shows its "
            "values and the URL holds them: change one value at a time to test the advice.",
            icon=":material/visibility:")
    st.caption("Current optimisers: " + ", ".join(SHARED_FIELDS["opt"].label_of(o)
                                                  for o in view.settings.optimizers))

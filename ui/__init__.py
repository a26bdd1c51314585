"""The Streamlit side of Optimiser Lab: controls, URL state, cached engine calls, charts.

``params``, ``frames``, ``charts`` and ``style`` are pure (no Streamlit) and tested
directly; ``controls``, ``compute`` and ``page`` hold everything that touches
Streamlit.
"""

"""The engine's jobs for the pages: cached by run spec, bounded in cost, computed in worker
processes; process start-up and memory tuning. Nothing here starts or tunes anything at import:
``startup.start()`` does, once, from the page frame."""

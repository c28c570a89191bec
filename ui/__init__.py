"""The Streamlit glue layer: cached loaders over the runs folder, shared page components and
the callbacks that act through engine.launch.control. Pages import from here and from the engine's
pure analytics; nothing here computes analytics or parses run files itself."""

"""Pure functions over run data that the app's pages render: no I/O, no Streamlit."""
